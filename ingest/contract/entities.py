"""The six entities of docs/contract.md section 1: one definition every layer of ingest reads."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """A field's type as the seeds' DDL declares it."""

    SMALLINT = "smallint"
    INTEGER = "integer"
    BIGINT = "bigint"
    FLOAT = "double precision"
    NUMERIC_5_2 = "numeric(5,2)"
    BOOLEAN = "boolean"
    UUID = "uuid"
    TIMESTAMP = "timestamp with time zone"
    TEXT = "text"
    TEXT_ARRAY = "text[]"
    JSON_OBJECT = "jsonb"


@dataclass(frozen=True)
class Field:
    """One column of a source table, with the constraints its DDL states."""

    name: str
    kind: Kind
    required: bool = False
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Entity:
    """A source table: its raw table keeps the same name."""

    name: str
    system: str
    key: str
    mutable: bool
    fields: tuple[Field, ...]
    # a required field that grows as records arrive (each new version's time, or the id of an
    # append-only entity): it leads raw's duplicate index, so new rows land at its right edge
    arrival_field: str = "updated_at"

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)

    @property
    def watermark_field(self) -> str:
        """The field an incremental extract advances on: updated_at, or the id when append-only."""
        return "updated_at" if "updated_at" in self.field_names else self.key


def _text(name: str, length: int | None = None, *, required: bool = False) -> Field:
    return Field(name, Kind.TEXT, required=required, max_length=length)


def _int(name: str, *, required: bool = False) -> Field:
    return Field(name, Kind.INTEGER, required=required)


def _float(name: str) -> Field:
    return Field(name, Kind.FLOAT)


def _bool(name: str) -> Field:
    return Field(name, Kind.BOOLEAN)


def _ts(name: str, *, required: bool = False) -> Field:
    return Field(name, Kind.TIMESTAMP, required=required)


def _rating(name: str, high: int = 5, *, required: bool = False) -> Field:
    return Field(name, Kind.SMALLINT, required=required, minimum=1, maximum=high)


PHASES = ("planning", "analysis", "implementation", "testing", "cleaning")

ORCHESTRATION_SESSIONS = Entity(
    name="orchestration_sessions",
    system="prompt_runner",
    key="id",
    mutable=True,
    fields=(
        _int("id", required=True),
        _int("project_id"),
        _text("feature_request", required=True),
        _text("status", 50, required=True),
        _text("orchestrator_prompt"),
        _text("orchestrator_output"),
        *(_text(f"{phase}_template") for phase in PHASES),
        *(_text(f"{phase}_results") for phase in PHASES if phase != "planning"),
        Field("metadata", Kind.JSON_OBJECT),
        _ts("created_at"),
        _ts("updated_at", required=True),
        _int("session_version"),
        _text("user_identifier", 255),
        _text("session_type", 50),
        *(_ts(f"{phase}_{moment}_at") for phase in PHASES for moment in ("started", "completed")),
        *(_bool(f"{phase}_success") for phase in PHASES),
        _bool("overall_success"),
        _float("total_duration_seconds"),
        _float("active_duration_seconds"),
        _int("retry_count"),
        _int("manual_interventions"),
        Field("developer_rating", Kind.INTEGER, minimum=1, maximum=5),
        _text("developer_feedback"),
        _bool("would_recommend"),
        _float("time_saved_hours"),
        _float("complexity_score"),
        _float("estimated_hours"),
        _float("actual_hours"),
        _float("accuracy_score"),
    ),
)

ORCHESTRATION_PHASE_METRICS = Entity(
    name="orchestration_phase_metrics",
    arrival_field="started_at",
    system="prompt_runner",
    key="id",
    mutable=True,
    fields=(
        _int("id", required=True),
        _int("session_id", required=True),
        _text("phase", 50, required=True),
        _int("phase_index", required=True),
        _ts("started_at", required=True),
        _ts("completed_at"),
        _float("duration_seconds"),
        _float("idle_time_seconds"),
        _int("prompt_tokens"),
        _int("completion_tokens"),
        _int("total_tokens"),
        _text("model_used", 100),
        _float("temperature"),
        _int("output_length"),
        _bool("template_extraction_success"),
        _int("validation_errors"),
        _int("validation_warnings"),
        _text("copy_paste_method", 50),
        _text("input_method", 50),
        _bool("user_edits"),
        _int("edit_count"),
        _bool("error_occurred"),
        _text("error_type", 100),
        _text("error_message"),
        _bool("error_recovered"),
        Field("metadata", Kind.JSON_OBJECT),
        _ts("created_at"),
    ),
)

ORCHESTRATION_EVENTS = Entity(
    name="orchestration_events",
    arrival_field="id",
    system="prompt_runner",
    key="id",
    mutable=False,
    fields=(
        Field("id", Kind.BIGINT, required=True),
        _int("session_id", required=True),
        _text("event_type", 100, required=True),
        _text("event_category", 50, required=True),
        _text("phase", 50),
        _text("command", 255),
        Field("parameters", Kind.JSON_OBJECT),
        _text("result", 50),
        _ts("timestamp"),
        _int("duration_ms"),
        _text("user_identifier", 255),
        _int("session_version"),
        _text("error_details"),
        Field("metadata", Kind.JSON_OBJECT),
    ),
)

ORCHESTRATION_CODE_METRICS = Entity(
    name="orchestration_code_metrics",
    system="prompt_runner",
    key="id",
    mutable=True,
    fields=(
        _int("id", required=True),
        _int("session_id", required=True),
        *(_int(f"files_{verb}") for verb in ("created", "modified", "deleted")),
        _int("total_files"),
        *(_int(f"lines_{verb}") for verb in ("added", "modified", "deleted")),
        _int("total_lines"),
        Field("languages", Kind.JSON_OBJECT),
        _text("primary_language", 50),
        _int("test_files_created"),
        _int("test_cases_added"),
        _float("test_coverage_before"),
        _float("test_coverage_after"),
        _float("test_coverage_delta"),
        _float("cyclomatic_complexity_avg"),
        _float("cognitive_complexity_avg"),
        _float("maintainability_index"),
        _int("technical_debt_minutes"),
        _int("docs_created"),
        _int("docs_updated"),
        _int("comment_lines_added"),
        _float("documentation_score"),
        _int("git_commits"),
        _text("git_branch", 255),
        Field("git_commit_hashes", Kind.TEXT_ARRAY),
        _bool("pr_created"),
        _int("pr_number"),
        _text("pr_url", 500),
        _float("build_time_before_seconds"),
        _float("build_time_after_seconds"),
        _int("bundle_size_before_kb"),
        _int("bundle_size_after_kb"),
        _ts("created_at"),
        _ts("updated_at", required=True),
    ),
)

PROJECT_OUTCOMES = Entity(
    name="project_outcomes",
    system="dataforge",
    key="id",
    mutable=True,
    fields=(
        Field("id", Kind.UUID, required=True),
        _text("project_name", 255, required=True),
        _text("project_path", required=True),
        _text("pattern_id", 50, required=True),
        _text("pattern_name", 100, required=True),
        Field("components_generated", Kind.TEXT_ARRAY),
        _int("files_created", required=True),
        Field("languages_used", Kind.TEXT_ARRAY),
        Field("dependencies_installed", Kind.TEXT_ARRAY),
        Field("status", Kind.TEXT, max_length=20, choices=("active", "archived", "deleted")),
        Field("last_build_status", Kind.TEXT, max_length=20, choices=("success", "failure")),
        _ts("last_build_timestamp"),
        Field("test_pass_rate", Kind.NUMERIC_5_2, minimum=0, maximum=100),
        _text("deployment_status", 20),
        Field("user_id", Kind.UUID),
        Field("workspace_id", Kind.UUID),
        _ts("created_at", required=True),
        _ts("updated_at", required=True),
        _ts("last_accessed_at"),
    ),
)

USER_FEEDBACK = Entity(
    name="user_feedback",
    arrival_field="submitted_at",
    system="dataforge",
    key="id",
    mutable=False,
    fields=(
        Field("id", Kind.UUID, required=True),
        Field("project_outcome_id", Kind.UUID, required=True),
        _rating("overall_satisfaction", required=True),
        _rating("pattern_usefulness"),
        _rating("code_quality"),
        _rating("documentation_clarity"),
        _rating("setup_ease"),
        Field("positive_aspects", Kind.TEXT_ARRAY),
        Field("negative_aspects", Kind.TEXT_ARRAY),
        _text("additional_comments"),
        _bool("would_recommend"),
        _rating("likelihood_to_reuse", 10),
        Field("feature_requests", Kind.TEXT_ARRAY),
        _int("time_to_first_build"),
        _bool("encountered_errors"),
        Field("error_details", Kind.JSON_OBJECT),
        _text("feedback_source", 20),
        _ts("submitted_at", required=True),
    ),
)

ENTITIES: dict[str, Entity] = {
    entity.name: entity
    for entity in (
        ORCHESTRATION_SESSIONS,
        ORCHESTRATION_PHASE_METRICS,
        ORCHESTRATION_EVENTS,
        ORCHESTRATION_CODE_METRICS,
        PROJECT_OUTCOMES,
        USER_FEEDBACK,
    )
}
