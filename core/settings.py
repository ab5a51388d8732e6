"""The one settings object: environment variables first, then defaults, read once."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.db import dsn_problem
from core.exceptions import SettingsError

PROJECT_DIR = Path(__file__).resolve().parents[1]
_DATABASE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


class Settings(BaseSettings):
    """Where the warehouse is, where files land, and the knobs of a load."""

    model_config = SettingsConfigDict(env_prefix="FORGE_", extra="ignore")

    warehouse_dsn: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("WAREHOUSE_DSN", "FORGE_WAREHOUSE_DSN")
    )
    home: Path = PROJECT_DIR / ".warehouse"
    dagster_home: Path = Field(
        default=PROJECT_DIR / ".dagster", validation_alias=AliasChoices("DAGSTER_HOME")
    )
    embedded_database: str = "forge"
    landing_dir: Path | None = None
    chunk_rows: int = Field(default=20_000, gt=0)
    # a batch whose share of rejected new lines passes this is held out of the marts (its rows
    # and rejects are kept) until its rejects are replayed or a person accepts it
    reject_rate_threshold: float = Field(default=0.05, ge=0, le=1)
    # the plausible time: a timestamp before this, or later than this many hours after the
    # load, is rejected (an event dated year 1 or 10000 would break the marts and the API)
    earliest_timestamp: dt.datetime = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    future_tolerance_hours: float = Field(default=24.0, ge=0, le=24 * 366 * 100)
    schedule_timezone: str = "UTC"
    # by this time of day (in schedule_timezone) the nightly refresh must have rebuilt the marts
    marts_deadline: dt.time = dt.time(6, 0)
    # FORGE_AUTOMATION=on: Dagster's schedule and sensors start running (production); off, the
    # default, they start stopped, so opening the UI (`make dev`) never changes the data
    automation: bool = False
    # the dbt artifacts (target/runs/<run id>/, ~15 MB each) of this many newest runs are kept;
    # older ones are deleted once the run is recorded in watch.runs
    dbt_artifact_runs: int = Field(default=14, ge=1)
    # anomalies (issue 14): how many robust deviations from a day's weekday history make an
    # anomaly; the same weekdays needed before a measure is judged; the checks that block
    # (comma-separated check names; the others warn)
    anomaly_threshold: float = Field(default=6.0, gt=0)
    anomaly_min_weeks: int = Field(default=4, ge=2, le=8)
    anomaly_blocking_checks: str = ""
    # a published metric value that moves by more than this share of itself is a restatement
    restatement_tolerance: float = Field(default=0.005, ge=0)
    # where Dagster POSTs its alerts as JSON, besides its log; None: the log only
    alert_webhook_url: str | None = None
    # the DataForge API: bearer token, page size, per-request timeout, retries of a request
    dataforge_token: SecretStr | None = None
    api_page_size: int = Field(default=500, gt=0, le=10_000)
    api_timeout_seconds: float = Field(default=10.0, gt=0)
    api_max_attempts: int = Field(default=5, ge=1)
    # the source database: how far back each incremental extract re-reads, for late commits
    source_overlap_seconds: int = Field(default=600, ge=0)
    source_overlap_ids: int = Field(default=1000, ge=0)
    # reference time of the marts' relative windows; None means each build's start
    as_of: dt.datetime | None = None
    # the analytics API: a BI login's URI (forge-warehouse bi-login create); unset: the API's
    # own login `api_login`, created (or renewed) in forge_bi
    bi_dsn: SecretStr | None = None
    api_login: str = "forge_bi_api"
    # connections the API keeps to the warehouse; its own login gets this + 1 as its limit
    api_pool_size: int = Field(default=4, ge=1, le=32)
    # browser origins allowed to call the API (comma-separated); empty: same origin only
    api_cors_origins: str = ""

    @field_validator("warehouse_dsn", "bi_dsn")
    @classmethod
    def _libpq_dsn(cls, value: SecretStr | None) -> SecretStr | None:
        """A libpq URI or key=value string; set but empty is a mistake, not libpq's defaults."""
        problem = None if value is None else dsn_problem(value.get_secret_value())
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("embedded_database")
    @classmethod
    def _database_name(cls, value: str) -> str:
        """The embedded server's database: a plain Postgres name, created as it is given."""
        if _DATABASE_NAME.fullmatch(value) is None:
            raise ValueError(
                "not a database name; use lowercase letters, digits and _, starting with a "
                "letter (at most 63), e.g. forge"
            )
        return value

    @field_validator("home", "dagster_home", "landing_dir", mode="before")
    @classmethod
    def _named_folder(cls, value: object) -> object:
        """Set but empty is a mistake, not the current folder."""
        if isinstance(value, str) and not value.strip():
            raise ValueError("set but empty; unset it, or give a folder")
        return value

    @field_validator("home", "dagster_home", "landing_dir")
    @classmethod
    def _folder(cls, value: Path | None) -> Path | None:
        """A folder, or where one can be made: not a file, nor under one."""
        if value is None:
            return None
        for path in (value, *value.parents):
            if path.exists():
                if not path.is_dir():
                    raise ValueError(f"{str(path)!r} is not a folder")
                break
        return value

    @field_validator("earliest_timestamp")
    @classmethod
    def _in_the_past(cls, value: dt.datetime) -> dt.datetime:
        """The earliest plausible time: before now, or every record would be rejected."""
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        if aware >= dt.datetime.now(dt.UTC):
            raise ValueError(
                "is not in the past; every record would be rejected (default 2000-01-01)"
            )
        return aware

    @field_validator("schedule_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        """An IANA time zone (Europe/Paris, UTC): checked here, not when Dagster schedules."""
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # or a folder, too long
            raise ValueError(
                f"{value!r} is not a time zone; use for example UTC or Europe/Paris"
            ) from None
        return value

    @property
    def cors_origins(self) -> list[str]:
        return [origin.strip() for origin in self.api_cors_origins.split(",") if origin.strip()]

    @property
    def blocking_anomaly_checks(self) -> frozenset[str]:
        names = self.anomaly_blocking_checks.split(",")
        return frozenset(name.strip() for name in names if name.strip())

    @property
    def project_dir(self) -> Path:
        return PROJECT_DIR

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def landing(self) -> Path:
        return self.landing_dir or self.home / "landing"

    @property
    def dbt_project_dir(self) -> Path:
        return PROJECT_DIR / "dbt_project"

    @property
    def migrations_dir(self) -> Path:
        return PROJECT_DIR / "sql" / "warehouse"


def environment_variable(field: str) -> str:
    """The environment variable a setting is read from."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"FORGE_{field.upper()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use; a bad value is one
    sentence naming its variable (SettingsError), never a traceback."""
    try:
        return Settings()
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            field = _field_of(str(problem["loc"][0]))
            # a connection string may hold a password: never repeated
            shown = "<hidden>" if field in _SECRET else _shown(problem["input"])
            message = str(problem["msg"]).removeprefix("Value error, ")
            problems.append(f"{environment_variable(field)}={shown}: {message}")
        raise SettingsError("invalid setting " + "; ".join(problems)) from None


_SECRET = frozenset(
    name for name, field in Settings.model_fields.items() if "SecretStr" in str(field.annotation)
)


def _shown(value: object, limit: int = 80) -> str:
    """A value as a message repeats it: quoted, control characters escaped, long ones cut."""
    text = repr(str(value))
    return text if len(text) <= limit else f"{text[: limit - 12]}... ({len(str(value))} chars)"


def _field_of(location: str) -> str:
    """The setting a validation error is about: pydantic names an aliased one by its alias."""
    if location in Settings.model_fields:
        return location
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices) and location in alias.choices:
            return name
    return location
