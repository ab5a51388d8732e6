"""`forge-warehouse serve`: the API on a socket we bind ourselves, reading through a BI login."""

from __future__ import annotations

import ipaddress
import logging
import socket

import uvicorn
from fastapi import FastAPI

from analytics.logins import check_bi_login, ensure_service_login
from core.exceptions import ForgeError
from core.settings import Settings, get_settings
from core.warehouse import prepare

logger = logging.getLogger(__name__)


def resolve_bi_dsn(settings: Settings) -> tuple[str, str]:
    """The DSN and login the API reads through: FORGE_BI_DSN (checked to be a BI-only login),
    else the API's own BI login, created or given a fresh password on the warehouse."""
    if settings.bi_dsn is not None:
        dsn = settings.bi_dsn.get_secret_value()
        return dsn, check_bi_login(dsn)
    warehouse = prepare(get_settings())
    dsn = ensure_service_login(warehouse, settings.api_login, settings.api_pool_size + 1)
    return dsn, settings.api_login


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free port); failure is one sentence."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as error:
        raise ForgeError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    if not _is_loopback(host):
        logger.warning(
            "the API has no authentication: anyone who reaches %s:%s reads the marts", host, port
        )
    return sock


def bound_port(sock: socket.socket) -> int:
    port: int = sock.getsockname()[1]
    return port


def run(app: FastAPI, sock: socket.socket) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM); uvicorn logs through our logging setup."""
    config = uvicorn.Config(app, log_config=None, access_log=True, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
