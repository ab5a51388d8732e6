"""How the API answers what goes wrong: one sentence in `detail`, 400 for a bad parameter (not
FastAPI's 422), 404 for an unknown pattern or path, 503 only when the warehouse cannot answer."""

from __future__ import annotations

import logging
import re
import reprlib
from collections.abc import Callable
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from analytics.api.pool import PoolBusyError
from core.db import first_line
from core.exceptions import WarehouseUnavailableError

logger = logging.getLogger(__name__)

# an enum's choices are listed in an answer up to this length, and otherwise named at /docs
MAX_LISTED = 200
_REPR = reprlib.Repr()
_REPR.maxstring = 60  # characters of a caller's value repeated in an answer


def shown(value: object) -> str:
    """A caller's value as the answer repeats it: quoted, escaped, and cut to a short length."""
    return _REPR.repr(value if isinstance(value, str) else str(value))


def openapi_with_our_errors(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The generated document, less the 422 FastAPI lists: a bad parameter is a 400 here."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                document.get("components", {}).get("schemas", {}).pop(name, None)
        return app.openapi_schema or {}

    return openapi


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail}, headers=headers)


async def _invalid_request(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = []
    for item in error.errors():
        where = " ".join(str(part) for part in item["loc"][:1])
        name = ".".join(str(part) for part in item["loc"][1:])
        if item["type"] == "missing":
            problems.append(f"{where} parameter {name} is required")
        else:
            message = str(item["msg"]).rstrip(".").removeprefix("Value error, ")
            if item["type"] == "enum" and len(message) > MAX_LISTED:
                # fifteen metric names make a paragraph: name the first few and where the rest are
                choices = re.findall(r"'([^']*)'", str((item.get("ctx") or {}).get("expected")))
                message = (
                    f"Input should be one of the {len(choices)} values listed at /docs, e.g. "
                    + ", ".join(f"'{choice}'" for choice in choices[:3])
                )
            problems.append(f"{where} parameter {name}: {message} (got {shown(item['input'])})")
    more = len(problems) - 1
    # the first problem, whole; the others counted, so the answer stays one short sentence
    extra = f" (and {more} more parameter{'s' if more > 1 else ''} in error)" if more else ""
    return _error(400, problems[0] + extra)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    """Starlette's own answers (no such path, method not allowed) as one sentence too."""
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail
    if error.status_code == 404 and detail == "Not Found":
        detail = f"no endpoint at {shown(request.url.path)}; the endpoints are listed at /docs"
    elif error.status_code == 405:
        detail = f"{request.method} is not allowed here: the API only reads (GET)"
    return _error(error.status_code, str(detail), getattr(error, "headers", None))


async def _busy(_: Request, error: Exception) -> JSONResponse:
    return _error(503, "the warehouse is busy: no API connection came free in time; try again")


async def _unavailable(_: Request, error: Exception) -> JSONResponse:
    logger.warning("warehouse unavailable: %s", first_line(error))
    return _error(503, first_line(error))


async def _database_error(_: Request, error: Exception) -> JSONResponse:
    logger.warning("query failed: %s: %s", type(error).__name__, first_line(error))
    if isinstance(error, psycopg.errors.UndefinedTable):
        detail = f"a mart the API reads is missing ({first_line(error)}); run the nightly refresh"
    elif isinstance(error, psycopg.errors.QueryCanceled):
        detail = "the query ran past the BI login's statement timeout; try a shorter period"
    elif isinstance(error, psycopg.errors.InsufficientPrivilege):
        detail = f"the BI login may not read a mart ({first_line(error)}); check its grants"
    elif isinstance(error, psycopg.OperationalError):
        detail = f"the warehouse dropped the connection ({first_line(error)}); try again"
    else:
        detail = f"the warehouse could not answer ({type(error).__name__})"
    return _error(503, detail)


async def _unexpected(_: Request, error: Exception) -> JSONResponse:
    logger.exception("unexpected error answering a request")
    return _error(500, f"the API failed unexpectedly ({type(error).__name__}); see its log")


ERROR_HANDLERS: dict[Any, Callable[[Request, Exception], Any]] = {
    RequestValidationError: _invalid_request,
    StarletteHTTPException: _http_error,
    PoolBusyError: _busy,
    WarehouseUnavailableError: _unavailable,
    psycopg.Error: _database_error,
    Exception: _unexpected,
}
