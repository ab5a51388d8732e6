"""How the API answers what goes wrong: one sentence in `detail`, 400 for a bad parameter (not
FastAPI's 422), 503 when the warehouse cannot answer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from analytics.api.pool import PoolTimeoutError
from core.db import first_line
from core.exceptions import WarehouseUnavailableError

logger = logging.getLogger(__name__)


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


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail})


async def _invalid_request(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = []
    for item in error.errors():
        where = " ".join(str(part) for part in item["loc"][:1])
        name = ".".join(str(part) for part in item["loc"][1:])
        if item["type"] == "missing":
            problems.append(f"{where} parameter {name} is required")
        else:
            problems.append(f"{where} parameter {name}: {item['msg']} (got {item['input']!r})")
    return _error(400, "; ".join(problems))


async def _busy(_: Request, error: Exception) -> JSONResponse:
    return _error(503, "the warehouse is busy: every API connection is in use; try again")


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
    else:
        detail = f"the warehouse could not answer ({type(error).__name__})"
    return _error(503, detail)


ERROR_HANDLERS: dict[type[Exception], Callable[[Request, Exception], Any]] = {
    RequestValidationError: _invalid_request,
    PoolTimeoutError: _busy,
    WarehouseUnavailableError: _unavailable,
    psycopg.Error: _database_error,
}
