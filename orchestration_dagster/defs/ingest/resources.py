"""The warehouse as a Dagster resource: a thin wrapper over ingest's settings and `prepare`."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field, SecretStr

from core.settings import Settings, get_settings
from core.warehouse import prepare
from orchestration_dagster.lib.retries import transient_cause


class WarehouseResource(dg.ConfigurableResource["WarehouseResource"]):
    """Where the warehouse and the landing directory are, and how many rejects a batch may have.

    Unset fields fall back to ingest's settings (WAREHOUSE_DSN, FORGE_LANDING_DIR,
    FORGE_REJECT_RATE_THRESHOLD, or the embedded Postgres and `.warehouse/landing`), read when
    a run needs them, never at import.
    """

    dsn: str | None = Field(
        default=None,
        description="libpq URI of the warehouse; default: WAREHOUSE_DSN or the embedded Postgres.",
    )
    landing_dir: str | None = Field(
        default=None,
        description="Landing directory; default: FORGE_LANDING_DIR or .warehouse/landing.",
    )
    reject_rate_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description=(
            "Share of a batch's lines that may be rejected before its raw table's check fails; "
            "default: FORGE_REJECT_RATE_THRESHOLD or 0.05."
        ),
    )

    def settings(self) -> Settings:
        """Ingest's settings, with this resource's configuration taking precedence."""
        settings = get_settings()
        if self.dsn:
            settings = settings.model_copy(update={"warehouse_dsn": SecretStr(self.dsn)})
        if self.landing_dir:
            settings = settings.model_copy(update={"landing_dir": Path(self.landing_dir)})
        if self.reject_rate_threshold is not None:
            settings = settings.model_copy(
                update={"reject_rate_threshold": self.reject_rate_threshold}
            )
        return settings

    def prepared_dsn(self) -> str:
        """The DSN of a reachable warehouse with its migrations applied (idempotent)."""
        return prepare(self.settings())

    def dsn_for(self, purpose: str) -> str:
        """prepared_dsn(), or a step Failure saying what could not run and why, retried when
        the cause is transient (a lost connection, say)."""
        try:
            return self.prepared_dsn()
        except Exception as error:
            cause = transient_cause(error)
            raise dg.Failure(
                description=f"cannot reach the warehouse for {purpose}: {cause or error}",
                allow_retries=cause is not None,
            ) from error

    def landing(self) -> Path:
        """The landing directory the raw assets load from."""
        return self.settings().landing


warehouse_resource = WarehouseResource()
