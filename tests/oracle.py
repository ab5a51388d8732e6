"""docs/contract.md sections 3 and 4 computed in plain Python from the raw tables.

An independent second implementation of current state and the five marts' formulas, written from
the contract and the seeds, so the dbt models are checked against something they did not produce.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from ingest.contract.entities import ENTITIES, PHASES

Row = dict[str, Any]


def current_state(dsn: str) -> dict[str, list[Row]]:
    """Each entity's current rows (docs/contract.md section 3), held batches left out."""
    query = sql.SQL(
        "select * from {} as raw_rows where not exists (select from audit.held_batches"
        " where held_batches.batch_id = raw_rows._load_id) order by _ingest_seq"
    )
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        raw = {
            name: conn.execute(query.format(sql.Identifier("raw", name))).fetchall()
            for name in ENTITIES
        }
    state = {}
    for name, rows in raw.items():
        if "updated_at" in (rows[0] if rows else {}):
            state[name] = _latest(rows, lambda row: row["id"], by_updated_at=True)
        else:
            state[name] = _latest(rows, lambda row: row["id"], by_updated_at=False)
    state["orchestration_phase_metrics"] = _latest(
        state["orchestration_phase_metrics"],
        lambda row: (row["session_id"], row["phase"]),
        by_updated_at=False,
    )
    return state


def _latest(rows: Iterable[Row], key: Any, *, by_updated_at: bool) -> list[Row]:
    """Greatest updated_at wins, ties (and entities without it) go to the one loaded last."""
    best: dict[Any, Row] = {}
    for row in rows:  # rows come in load order
        previous = best.get(key(row))
        if previous is None or not by_updated_at or row["updated_at"] >= previous["updated_at"]:
            best[key(row)] = row
    return list(best.values())


def round_half_up(value: float | Decimal | None, places: int) -> Decimal | None:
    if value is None:
        return None
    exponent = Decimal(1).scaleb(-places) if places else Decimal(1)
    return Decimal(str(value)).quantize(exponent, rounding=ROUND_HALF_UP)


def _mean(values: Iterable[Any]) -> float | None:
    present = [float(value) for value in values if value is not None]
    return statistics.fmean(present) if present else None


def _percentile_cont(values: list[float], fraction: float) -> float | None:
    """Postgres percentile_cont: linear interpolation between the closest ranks."""
    ordered = sorted(value for value in values if value is not None)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def pattern_analytics(state: dict[str, list[Row]], as_of: dt.datetime) -> dict[str, Row]:
    projects: dict[str, list[Row]] = defaultdict(list)
    for project in state["project_outcomes"]:
        projects[project["pattern_id"]].append(project)
    feedback_by_project: dict[Any, list[Row]] = defaultdict(list)
    for feedback in state["user_feedback"]:
        feedback_by_project[feedback["project_outcome_id"]].append(feedback)
    result = {}
    for pattern_id, mine in projects.items():
        feedback = [row for project in mine for row in feedback_by_project[project["id"]]]
        success = sum(project["last_build_status"] == "success" for project in mine)
        failure = sum(project["last_build_status"] == "failure" for project in mine)
        scores = [row["likelihood_to_reuse"] for row in feedback if row["likelihood_to_reuse"]]
        promoters = sum(score >= 9 for score in scores)
        detractors = sum(score <= 6 for score in scores)
        newest = max(mine, key=lambda project: project["updated_at"])
        ttfb = _mean(row["time_to_first_build"] for row in feedback)
        result[pattern_id] = {
            "pattern_name": newest["pattern_name"],
            "total_projects": len(mine),
            "projects_last_30_days": sum(
                as_of - dt.timedelta(days=30) <= p["created_at"] <= as_of for p in mine
            ),
            "projects_last_7_days": sum(
                as_of - dt.timedelta(days=7) <= p["created_at"] <= as_of for p in mine
            ),
            "successful_builds": success,
            "failed_builds": failure,
            "build_success_rate": round_half_up(100 * success / (success + failure), 2)
            if success + failure
            else None,
            "feedback_count": len(feedback),
            "avg_satisfaction": round_half_up(
                _mean(row["overall_satisfaction"] for row in feedback), 2
            ),
            "avg_usefulness": round_half_up(
                _mean(row["pattern_usefulness"] for row in feedback), 2
            ),
            "avg_nps": round_half_up(_mean(scores), 2),
            "nps": round_half_up(100 * (promoters - detractors) / len(scores), 2)
            if scores
            else None,
            "recommendation_count": sum(row["would_recommend"] is True for row in feedback),
            "avg_time_to_build_minutes": round_half_up(ttfb / 60, 2) if ttfb is not None else None,
            "last_activity": max(project["updated_at"] for project in mine),
        }
    return result


def developer_productivity(state: dict[str, list[Row]]) -> dict[str, Row]:
    sessions: dict[str, list[Row]] = defaultdict(list)
    for session in state["orchestration_sessions"]:
        if session["user_identifier"] is not None:
            sessions[session["user_identifier"]].append(session)
    result = {}
    for user, mine in sessions.items():
        answered = [s["would_recommend"] for s in mine if s["would_recommend"] is not None]
        result[user] = {
            "total_sessions": len(mine),
            "successful_sessions": sum(s["overall_success"] is True for s in mine),
            "avg_duration_hours": _mean(
                s["total_duration_seconds"] / 3600
                if s["total_duration_seconds"] is not None
                else None
                for s in mine
            ),
            "avg_time_saved_hours": _mean(s["time_saved_hours"] for s in mine),
            "avg_satisfaction": _mean(s["developer_rating"] for s in mine),
            "recommendation_rate": sum(answered) / len(answered) if answered else None,
            "last_active": max((s["created_at"] for s in mine if s["created_at"]), default=None),
        }
    return result


def phase_performance(state: dict[str, list[Row]]) -> dict[str, Row]:
    phases: dict[str, list[Row]] = defaultdict(list)
    for metric in state["orchestration_phase_metrics"]:
        phases[metric["phase"]].append(metric)
    result = {}
    for phase, mine in phases.items():
        durations = [m["duration_seconds"] for m in mine if m["duration_seconds"] is not None]
        errors = [m["validation_errors"] for m in mine if m["validation_errors"] is not None]
        result[phase] = {
            "execution_count": len(mine),
            "avg_duration_seconds": _mean(durations),
            "median_duration_seconds": _percentile_cont(durations, 0.5),
            "p95_duration_seconds": _percentile_cont(durations, 0.95),
            "success_rate": _mean(0 if m["error_occurred"] else 1 for m in mine),
            "avg_tokens_used": _mean(m["total_tokens"] for m in mine),
            "total_validation_errors": sum(errors) if errors else None,
        }
    return result


def complexity_band(score: float) -> str:
    return "Simple" if score < 3 else "Medium" if score < 7 else "Complex"


def feature_complexity_analysis(state: dict[str, list[Row]]) -> dict[str, Row]:
    bands: dict[str, list[Row]] = defaultdict(list)
    for session in state["orchestration_sessions"]:
        if session["complexity_score"] is not None:
            bands[complexity_band(session["complexity_score"])].append(session)
    return {
        band: {
            "feature_count": len(mine),
            "avg_duration_hours": _mean(
                s["total_duration_seconds"] / 3600
                if s["total_duration_seconds"] is not None
                else None
                for s in mine
            ),
            "avg_actual_hours": _mean(s["actual_hours"] for s in mine),
            "success_rate": _mean(1 if s["overall_success"] else 0 for s in mine),
            "avg_retries": _mean(s["retry_count"] for s in mine),
            "avg_interventions": _mean(s["manual_interventions"] for s in mine),
        }
        for band, mine in bands.items()
    }


def template_metrics(state: dict[str, list[Row]]) -> dict[tuple[str, str], Row]:
    phase_metrics = {(m["session_id"], m["phase"]): m for m in state["orchestration_phase_metrics"]}
    code_metrics: dict[Any, list[Row]] = defaultdict(list)
    for metric in state["orchestration_code_metrics"]:
        code_metrics[metric["session_id"]].append(metric)
    usage: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for session in state["orchestration_sessions"]:
        for phase in PHASES:
            text = session[f"{phase}_template"]
            if text is not None:
                digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
                usage[(phase, digest)].append(session)
    result: dict[tuple[str, str], Row] = {}
    for (phase, digest), sessions in usage.items():
        metrics = [
            phase_metrics[(s["id"], phase)] for s in sessions if (s["id"], phase) in phase_metrics
        ]
        codes = [code for s in sessions for code in code_metrics[s["id"]]]
        success = sum(s[f"{phase}_success"] is True for s in sessions)
        failure = sum(s[f"{phase}_success"] is False for s in sessions)
        tokens = _mean(m["total_tokens"] for m in metrics)
        edits = _mean(m["edit_count"] for m in metrics)
        scored = [s["complexity_score"] for s in sessions if s["complexity_score"] is not None]
        result[(phase, digest)] = {
            "usage_count": len(sessions),
            "success_count": success,
            "failure_count": failure,
            "success_rate": success / len(sessions),
            "avg_completion_time_seconds": _mean(
                (s[f"{phase}_completed_at"] - s[f"{phase}_started_at"]).total_seconds()
                for s in sessions
                if s[f"{phase}_completed_at"] is not None and s[f"{phase}_started_at"] is not None
            ),
            "avg_tokens_used": round_half_up(tokens, 0) if tokens is not None else None,
            "avg_user_edits": round_half_up(edits, 0) if edits is not None else None,
            "avg_developer_rating": _mean(s["developer_rating"] for s in sessions),
            "avg_code_quality_score": _mean(c["maintainability_index"] for c in codes),
            "avg_test_coverage_achieved": _mean(c["test_coverage_after"] for c in codes),
            "feature_categories": dict(
                Counter(
                    (s["metadata"] or {}).get("feature_category") or "uncategorized"
                    for s in sessions
                )
            ),
            "complexity_distribution": {
                "simple": sum(score < 3 for score in scored),
                "medium": sum(3 <= score < 7 for score in scored),
                "complex": sum(score >= 7 for score in scored),
            },
            "first_used_at": min(
                (s["created_at"] for s in sessions if s["created_at"]), default=None
            ),
            "last_used_at": max(
                (s["created_at"] for s in sessions if s["created_at"]), default=None
            ),
        }
    for (phase, _digest), row in result.items():
        later = [
            (other["first_used_at"], other_digest, other)
            for (other_phase, other_digest), other in result.items()
            if other_phase == phase
            and None not in (other["first_used_at"], row["first_used_at"])
            and other["first_used_at"] > row["first_used_at"]
        ]
        successor = min(later, key=lambda item: (item[0], item[1]), default=None)
        deprecated = successor is not None and successor[2]["last_used_at"] > row["last_used_at"]
        row["deprecated_at"] = row["last_used_at"] if deprecated else None
        row["replacement_template_hash"] = successor[1] if deprecated and successor else None
    return result
