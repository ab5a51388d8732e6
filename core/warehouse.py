"""Which warehouse a command talks to, made ready: WAREHOUSE_DSN, or the embedded Postgres."""

from __future__ import annotations

from core import embedded
from core.migrations import migrate
from core.settings import Settings


def warehouse_dsn(settings: Settings) -> str:
    """WAREHOUSE_DSN when set; otherwise the embedded server, started if it is not running."""
    if settings.warehouse_dsn is not None:
        return settings.warehouse_dsn.get_secret_value()
    return embedded.start(settings.pgdata, settings.embedded_database)


def expected_dsn(settings: Settings) -> str:
    """The DSN warehouse_dsn will return, without connecting or starting anything."""
    if settings.warehouse_dsn is not None:
        return settings.warehouse_dsn.get_secret_value()
    return embedded.address(settings.pgdata, settings.embedded_database)


def prepare(settings: Settings) -> str:
    """The warehouse DSN, with schemas, roles, raw and audit tables applied (idempotent)."""
    dsn = warehouse_dsn(settings)
    migrate(dsn, settings.migrations_dir)
    return dsn
