"""What a BI or analyst login is, checked before any SQL: its name, limits, session defaults,
password and connection string."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote

from core.db import parse_dsn
from core.exceptions import ForgeError

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")
DURATION_PATTERN = re.compile(r"[1-9][0-9]*(ms|s|min|h)")
SIZE_PATTERN = re.compile(r"[1-9][0-9]*(kB|MB|GB|TB)")
GROUP_ROLES = ("forge_loader", "forge_transformer", "forge_analyst", "forge_bi")
PASSWORD_BYTES = 24  # 32 URL-safe characters


class LoginKind(StrEnum):
    """Which group role a login joins."""

    BI = "bi"
    ANALYST = "analyst"

    @property
    def group_role(self) -> str:
        return "forge_bi" if self is LoginKind.BI else "forge_analyst"


@dataclass(frozen=True)
class Limits:
    """What keeps one login's queries from hurting the nightly run."""

    statement_timeout: str
    temp_file_limit: str
    connection_limit: int
    # a dashboard that opens a transaction and walks away holds locks that block dbt's swap
    idle_in_transaction_session_timeout: str = "60s"


DEFAULT_LIMITS = {
    LoginKind.BI: Limits(statement_timeout="60s", temp_file_limit="1GB", connection_limit=10),
    LoginKind.ANALYST: Limits(statement_timeout="10min", temp_file_limit="5GB", connection_limit=5),
}


@dataclass(frozen=True)
class NewLogin:
    """A login just made; `dsn` holds its password and is shown once, never logged."""

    name: str
    kind: LoginKind
    limits: Limits
    dsn: str = field(repr=False)
    host: str
    port: str
    dbname: str

    @property
    def is_unix_socket(self) -> bool:
        return self.host.startswith("/")


@dataclass(frozen=True)
class LoginInfo:
    """One BI or analyst login as the server sees it now."""

    name: str
    group_role: str
    connection_limit: int
    connections: int
    settings: Mapping[str, str]
    note: str | None

    def drift(self) -> list[str]:
        """Protections missing or lifted since `create` (a login may alter its own defaults)."""
        changed = [
            f"{name} unset"
            for name in ("statement_timeout", "temp_file_limit", "default_transaction_read_only")
            if name not in self.settings
        ]
        if self.settings.get("statement_timeout") in ("0", "0ms", "0s"):
            changed.append("statement_timeout=0")
        if self.settings.get("default_transaction_read_only", "on") != "on":
            changed.append("default_transaction_read_only=off")
        if self.connection_limit < 0:
            changed.append("no connection limit")
        return changed


def validate_name(name: str) -> str:
    """A login name we can create and later recognise: lowercase, no reserved prefix."""
    if not NAME_PATTERN.fullmatch(name) or name.startswith("pg_"):
        raise ForgeError(
            f"{name!r} is not a usable login name: use lowercase letters, digits and "
            "underscores, starting with a letter, at most 63 characters, not starting with pg_"
        )
    if name in GROUP_ROLES:
        raise ForgeError(f"{name} is one of the warehouse's group roles, not a login name")
    return name


def validate_limits(limits: Limits) -> Limits:
    """Values Postgres would accept, checked before anything is created."""
    for setting, value in (
        ("statement timeout", limits.statement_timeout),
        ("idle-in-transaction timeout", limits.idle_in_transaction_session_timeout),
    ):
        if not DURATION_PATTERN.fullmatch(value):
            raise ForgeError(f"the {setting} {value!r} is not a duration like 500ms, 60s or 10min")
    if not SIZE_PATTERN.fullmatch(limits.temp_file_limit):
        raise ForgeError(
            f"the temp-file limit {limits.temp_file_limit!r} is not a size like 512MB or 1GB"
        )
    if not 1 <= limits.connection_limit <= 1000:
        raise ForgeError(
            f"the connection limit {limits.connection_limit} is not between 1 and 1000"
        )
    return limits


def session_defaults(kind: LoginKind, limits: Limits) -> list[tuple[str, tuple[str, ...]]]:
    """The settings `alter role ... set` gives the login (read-only, marts first, limits)."""
    search_path = ("marts",) if kind is LoginKind.BI else ("marts", "intermediate", "staging")
    return [
        ("default_transaction_read_only", ("on",)),
        ("search_path", search_path),
        ("statement_timeout", (limits.statement_timeout,)),
        ("idle_in_transaction_session_timeout", (limits.idle_in_transaction_session_timeout,)),
        ("temp_file_limit", (limits.temp_file_limit,)),
    ]


def generate_password() -> str:
    """A random password of URL-safe characters (no escaping needed in a connection URI)."""
    return secrets.token_urlsafe(PASSWORD_BYTES)


def login_dsn(
    warehouse_dsn: str,
    login: str,
    password: str,
    *,
    host: str | None = None,
    port: int | None = None,
) -> str:
    """A libpq URI for `login` on the warehouse's database, at its host and port unless others
    are given (where BI tools reach the server when that differs from WAREHOUSE_DSN)."""
    params = parse_dsn(warehouse_dsn)
    host = host or str(params.get("host") or "localhost")
    port_text = str(port or params.get("port") or "")
    dbname = quote(str(params.get("dbname") or ""), safe="")
    credentials = f"{quote(login, safe='')}:{quote(password, safe='')}"
    options = {
        key: str(params[key])
        for key in ("sslmode", "sslrootcert", "target_session_attrs")
        if params.get(key)
    }
    if host.startswith("/"):
        # a unix socket directory cannot stand in the authority part of a URI
        options = {"host": host, **({"port": port_text} if port_text else {}), **options}
        authority = ""
    else:
        authority = f"[{host}]" if ":" in host else host
        authority += f":{port_text}" if port_text else ""
    query_string = "&".join(f"{key}={quote(value, safe='/')}" for key, value in options.items())
    return f"postgresql://{credentials}@{authority}/{dbname}" + (
        f"?{query_string}" if query_string else ""
    )
