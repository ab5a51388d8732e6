"""Small valid records per entity, written by hand from the seeds' DDL (not by the generator)."""

from __future__ import annotations

from typing import Any

SESSION = {
    "id": 1,
    "project_id": 7,
    "feature_request": "Add CSV export",
    "status": "completed",
    "planning_template": "Plan the feature step by step.",
    "metadata": {"feature_category": "api"},
    "created_at": "2025-03-01T10:00:00Z",
    "updated_at": "2025-03-01T12:00:00Z",
    "user_identifier": "dev-1",
    "planning_started_at": "2025-03-01T10:00:00Z",
    "planning_completed_at": "2025-03-01T10:05:00Z",
    "planning_success": True,
    "overall_success": True,
    "total_duration_seconds": 7200.0,
    "developer_rating": 4,
    "complexity_score": 4.5,
}
PHASE_METRIC = {
    "id": 1,
    "session_id": 1,
    "phase": "planning",
    "phase_index": 0,
    "started_at": "2025-03-01T10:00:00Z",
    "duration_seconds": 300.5,
    "total_tokens": 1200,
    "error_occurred": False,
    "validation_errors": 0,
}
EVENT = {
    "id": 1,
    "session_id": 1,
    "event_type": "command_executed",
    "event_category": "cli",
    "phase": "planning",
    "parameters": {"flag": True},
    "result": "success",
    "timestamp": "2025-03-01T10:01:00Z",
    "duration_ms": 120,
}
CODE_METRIC = {
    "id": 1,
    "session_id": 1,
    "files_created": 3,
    "languages": {"python": 120},
    "git_commit_hashes": ["abc123", "def456"],
    "maintainability_index": 71.5,
    "test_coverage_after": 82.0,
    "created_at": "2025-03-01T12:00:00Z",
    "updated_at": "2025-03-01T12:00:00Z",
}
PROJECT_OUTCOME = {
    "id": "6f1c2f8e-3c1a-4b7e-9a51-0d6b1f0c2a10",
    "project_name": "invoice-api",
    "project_path": "/home/dev/invoice-api",
    "pattern_id": "rest-api",
    "pattern_name": "REST API",
    "components_generated": ["router", "models"],
    "files_created": 12,
    "languages_used": ["Python"],
    "status": "active",
    "last_build_status": "success",
    "test_pass_rate": 97.5,
    "created_at": "2025-03-01T09:00:00Z",
    "updated_at": "2025-03-02T09:00:00Z",
}
USER_FEEDBACK = {
    "id": "0b8f8a7e-2f5d-4f3e-8c1e-5a3d2c1b0a99",
    "project_outcome_id": "6f1c2f8e-3c1a-4b7e-9a51-0d6b1f0c2a10",
    "overall_satisfaction": 5,
    "pattern_usefulness": 4,
    "positive_aspects": ["fast", "clean-code"],
    "would_recommend": True,
    "likelihood_to_reuse": 9,
    "error_details": {"type": "dependency", "resolved": True},
    "submitted_at": "2025-03-02T10:00:00Z",
}

VALID: dict[str, dict[str, Any]] = {
    "orchestration_sessions": SESSION,
    "orchestration_phase_metrics": PHASE_METRIC,
    "orchestration_events": EVENT,
    "orchestration_code_metrics": CODE_METRIC,
    "project_outcomes": PROJECT_OUTCOME,
    "user_feedback": USER_FEEDBACK,
}


def record(entity: str, **changes: Any) -> dict[str, Any]:
    """A valid record of `entity` with `changes` applied (a value of ... removes the field)."""
    result = dict(VALID[entity])
    for name, value in changes.items():
        if value is ...:
            result.pop(name, None)
        else:
            result[name] = value
    return result
