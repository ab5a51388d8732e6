"""The analytics API: read-only answers over the marts, through one BI login's connections.

The outcome-tracking seed's three analytics endpoints (patterns, one pattern, trends) plus a
health check. Bad parameters are a 400 with one sentence, an unknown pattern a 404, a warehouse
that cannot answer a 503; the OpenAPI document is at /openapi.json, its pages at /docs and
/redoc (analytics/api/docs.py: served with their assets, nothing from a CDN).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractContextManager, asynccontextmanager
from enum import StrEnum
from typing import Annotated, Any, Protocol

import psycopg
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from psycopg import sql
from psycopg.rows import dict_row
from pydantic import BeforeValidator

from analytics.api.docs import add_docs
from analytics.api.errors import ERROR_HANDLERS, openapi_with_our_errors, shown
from analytics.api.models import (
    ErrorBody,
    Feedback,
    FeedbackPoint,
    Health,
    PatternDetail,
    PatternMetrics,
    PatternPage,
    PatternTrend,
    Trend,
    TrendPoint,
    TrendSeries,
    TrendSummary,
)
from analytics.api.restatements import Restatement, RestatementPage
from analytics.metrics import Dimension, Grain, Metric, exact
from analytics.periods import (
    DEFAULT_PERIODS,
    MAX_PERIODS,
    PERIOD_HELP,
    SPAN_HELP,
    Period,
    Span,
    parse_period,
    parse_span,
    span,
)
from analytics.queries import query, statement
from analytics.trends import (
    MetricTrend,
    MissingMetricError,
    Series,
    TrendError,
    fetch_metric_trend,
    fetch_pattern_trend,
)

logger = logging.getLogger(__name__)

MAX_LIMIT = 100
MAX_OFFSET = 1_000_000
MAX_FEEDBACK = 100
# The pattern endpoint reads the list's query, for one pattern_id
ONE_PATTERN = statement(
    "select_patterns", order_by=sql.Identifier("pattern_id"), direction=sql.SQL("asc")
)
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A parameter is missing, unknown or out of range."},
    503: {"model": ErrorBody, "description": "The warehouse cannot answer now."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such pattern in marts.pattern_analytics."}
}


class Connections(Protocol):
    """Where requests get a connection (analytics.api.pool.ApiPool)."""

    def connection(self) -> AbstractContextManager[psycopg.Connection[Any]]: ...

    def close(self) -> None: ...


class SortColumn(StrEnum):
    """Columns a page of patterns can be ordered by."""

    PATTERN_ID = "pattern_id"
    PATTERN_NAME = "pattern_name"
    TOTAL_PROJECTS = "total_projects"
    PROJECTS_LAST_30_DAYS = "projects_last_30_days"
    BUILD_SUCCESS_RATIO = "build_success_ratio"
    FEEDBACK_COUNT = "feedback_count"
    AVG_SATISFACTION = "avg_satisfaction"
    NPS = "nps"
    LAST_ACTIVITY = "last_activity"


class Direction(StrEnum):
    ASC = "asc"
    DESC = "desc"


def _check_parameters(request: Request) -> None:
    """A misspelt parameter is a 400, not silently ignored; so is a value holding a NUL
    character, which no text in Postgres can hold (it could only fail the query)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_parameters(route.dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        takes = f"it takes {', '.join(sorted(known))}" if known else "it takes none"
        names = ", ".join(shown(name) for name in unknown[:5])
        raise HTTPException(400, f"unknown query parameter {names}: {takes}")
    # the last of a repeated parameter would win silently (`?metric=nps&metric=tokens`)
    given = [name for name, _ in request.query_params.multi_items()]
    for name in sorted(set(given)):
        if given.count(name) > 1:
            raise HTTPException(
                400,
                f"query parameter {shown(name)} is given {given.count(name)} times; give it once",
            )
    values = [("path", *item) for item in request.path_params.items()]
    values += [("query", *item) for item in request.query_params.multi_items()]
    for where, name, value in values:
        if "\x00" in str(value):
            raise HTTPException(
                400, f"{where} parameter {name} holds a NUL character: {shown(value)}"
            )


def _query_parameters(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_parameters(dependency)
    return names


def _iso_date_text(value: object) -> object:
    """A date as ISO writes it (2026-01-31): pydantic alone also reads 0 or 1767225600 as
    Unix times and 20260228 as a number of seconds."""
    if (
        not isinstance(value, dt.date)
        and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", str(value)) is None
    ):
        raise ValueError("Input should be a date such as 2026-01-31")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_text)]

router = APIRouter(prefix="/api", dependencies=[Depends(_check_parameters)])


@router.get(
    "/analytics/patterns",
    response_model=PatternPage,
    responses=ERRORS,
    summary="Patterns with their success, feedback and NPS, a page at a time",
)
def list_patterns(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Patterns per page.")] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Patterns to skip.")] = 0,
    sort: Annotated[SortColumn, Query(description="Column to order by.")] = (
        SortColumn.TOTAL_PROJECTS
    ),
    order: Annotated[Direction, Query(description="asc or desc; nulls last.")] = Direction.DESC,
) -> PatternPage:
    page = statement(
        "select_patterns", order_by=sql.Identifier(sort.value), direction=sql.SQL(order.value)
    )
    with _pool(request).connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
        total = cursor.execute(query("select_patterns_count")).fetchone()
        rows = cursor.execute(
            page, {"pattern_id": None, "limit": limit, "offset": offset}
        ).fetchall()
    count = int(total["total"]) if total else 0
    return PatternPage(
        items=[PatternMetrics(**row) for row in rows],
        total=count,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < count else None,
    )


@router.get(
    "/analytics/patterns/{pattern_id}",
    response_model=PatternDetail,
    responses={**ERRORS, **NOT_FOUND},
    summary="One pattern: its metrics, its most recent feedback and its feedback trend",
)
def get_pattern(
    request: Request,
    pattern_id: Annotated[str, Path(max_length=200, description="The pattern's key.")],
    period: Annotated[str, Query(description=f"Span of the trend: {PERIOD_HELP}.")] = "12w",
    feedback_limit: Annotated[
        int, Query(ge=0, le=MAX_FEEDBACK, description="Recent feedback to include.")
    ] = 10,
) -> PatternDetail:
    span = _period(period)
    params = {"pattern_id": pattern_id, "limit": feedback_limit}
    with _pool(request).connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
        one = {"pattern_id": pattern_id, "limit": 1, "offset": 0}
        row = cursor.execute(ONE_PATTERN, one).fetchone()
        if row is None:
            raise HTTPException(404, f"no pattern {shown(pattern_id)} in marts.pattern_analytics")
        pattern = PatternMetrics(**row)
        feedback = cursor.execute(query("select_pattern_feedback"), params).fetchall()
        # without a usable as_of (infinity in the mart) there is no window to end the trend on
        buckets = (
            fetch_pattern_trend(conn, pattern_id, span, pattern.as_of) if pattern.as_of else []
        )
    return PatternDetail(
        pattern=pattern,
        recent_feedback=[Feedback(**item) for item in feedback],
        trend=PatternTrend(
            period=span.text,
            granularity=span.granularity,
            points=[FeedbackPoint(**bucket.__dict__) for bucket in buckets],
        ),
    )


@router.get(
    "/analytics/trends",
    response_model=Trend,
    responses=ERRORS,
    summary="A metric of the semantic layer over time, in total or split by a dimension",
)
def get_trend(
    request: Request,
    metric: Annotated[Metric, Query(description="The metric to chart (marts.dim_metrics).")],
    grain: Annotated[
        Grain | None,
        Query(description="day, week (ISO, from Monday) or month; default day."),
    ] = None,
    periods: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_PERIODS[Grain.DAY],
            description=(
                "How many whole periods, ending with the last one before as_of; default "
                + ", ".join(f"{count} for {name.value}" for name, count in DEFAULT_PERIODS.items())
                + f"; at most {MAX_PERIODS[Grain.DAY]} days, {MAX_PERIODS[Grain.WEEK]} weeks or "
                f"{MAX_PERIODS[Grain.MONTH]} months."
            ),
        ),
    ] = None,
    dimension: Annotated[
        Dimension | None,
        Query(description="Split the metric by it (one of the metric's trend_dimensions)."),
    ] = None,
    period: Annotated[
        str | None,
        Query(description=f"Instead of grain and periods: {SPAN_HELP}."),
    ] = None,
) -> Trend:
    span = _span(period, grain, periods)
    with _pool(request).connection() as conn:
        try:
            trend = fetch_metric_trend(conn, metric, span, dimension)
        except TrendError as error:
            raise HTTPException(400, str(error)) from None
        except MissingMetricError as error:
            raise HTTPException(503, str(error)) from None
    return Trend(
        metric=metric,
        label=trend.definition.label,
        unit=trend.definition.unit,
        grain=span.grain,
        granularity=span.grain.value,
        period=span.text,
        periods=span.count,
        dimension=dimension,
        start_date=trend.start_date,
        end_date=trend.end_date,
        as_of=trend.as_of,
        summary=_summary(trend, trend.total),
        points=_points(trend.total),
        series=[
            TrendSeries(
                dimension_value=series.dimension_value,
                summary=_summary(trend, series),
                points=_points(series),
            )
            for series in trend.splits
        ],
    )


@router.get(
    "/analytics/restatements",
    response_model=RestatementPage,
    responses={
        **ERRORS,
        404: {"model": ErrorBody, "description": "No such metric in marts.dim_metrics."},
    },
    summary="Published metric values of closed periods that a later refresh changed",
)
def list_restatements(
    request: Request,
    metric: Annotated[
        str | None, Query(max_length=200, description="Only this metric (dim_metrics.metric).")
    ] = None,
    grain: Annotated[Grain | None, Query(description="Only this grain.")] = None,
    since: Annotated[
        IsoDate | None, Query(description="Only restatements recorded on or after this date.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")] = 0,
) -> RestatementPage:
    params = {
        "metric": metric,
        "grain": grain.value if grain else None,
        "since": since,
        "limit": limit,
        "offset": offset,
    }
    with _pool(request).connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
        if metric is not None:
            known = cursor.execute(query("select_metric_exists"), {"metric": metric}).fetchone()
            if not (known and known["known"]):
                raise HTTPException(404, f"no metric {shown(metric)} in marts.dim_metrics")
        rows = cursor.execute(query("select_restatements"), params).fetchall()
    total = int(rows[0]["total"]) if rows else 0
    return RestatementPage(
        items=[Restatement(**row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
    )


def _summary(trend: MetricTrend, series: Series) -> TrendSummary:
    sums = series.summary
    return TrendSummary(
        value=trend.summary_value(series),
        numerator=exact(sums.numerator),
        denominator=exact(sums.denominator),
        sample_size=sums.sample_size,
    )


def _points(series: Series) -> list[TrendPoint]:
    return [
        TrendPoint(
            start_date=point.start_date,
            end_date=point.end_date,
            value=point.value,
            numerator=exact(point.sums.numerator),
            denominator=exact(point.sums.denominator),
            sample_size=point.sums.sample_size,
        )
        for point in series.points
    ]


@router.get("/health", response_model=Health, responses=ERRORS, summary="Is the API up?")
def get_health(request: Request) -> Health:
    with _pool(request).connection() as conn:
        row = conn.execute(query("select_marts_as_of")).fetchone()
    return Health(status="ok", login=request.app.state.login, as_of=row[0] if row else None)


def create_app(pool: Connections, *, login: str, cors_origins: Sequence[str] = ()) -> FastAPI:
    """The API over `pool`, whose connections log in as the BI login `login`."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()

    app = FastAPI(
        title="Forge analytics API",
        version="1.0.0",
        summary="Read-only analytics over the Forge warehouse's marts.",
        description=(
            "Pattern success and feedback, and the semantic layer's metrics as time series (per "
            "day, week or month, in total or by a dimension). Every answer is "
            "read from schema `marts` through a read-only BI login; numbers are as of the last "
            "nightly build (`as_of`). One meaning per number: rates are fractions from 0 to 1 "
            "named `*_ratio`, NPS a score from -100 to 100, ratings means on their scale, "
            "counts whole numbers; each field says its unit."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    add_docs(app)
    app.state.pool = pool
    app.state.login = login
    app.include_router(router)
    for error, handler in ERROR_HANDLERS.items():
        app.add_exception_handler(error, handler)
    app.openapi = openapi_with_our_errors(app)  # type: ignore[method-assign]
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET"])
    return app


def _pool(request: Request) -> Connections:
    pool: Connections = request.app.state.pool
    return pool


def _span(period: str | None, grain: Grain | None, periods: int | None) -> Span:
    """The trend's span from `period` (30d, 12w, 6m) or from grain and periods, not both."""
    try:
        if period is not None:
            if grain is not None or periods is not None:
                raise ValueError(
                    f"give period ({shown(period)}) or grain and periods, not both: period=12w "
                    "is grain=week&periods=12"
                )
            return parse_span(period)
        grain = grain or Grain.DAY
        return span(grain, periods or DEFAULT_PERIODS[grain])
    except ValueError as error:
        raise HTTPException(400, str(error)) from None


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
