"""The API's answers that need no database: 400s for bad parameters, 503s, the OpenAPI document,
the offline /docs and /redoc pages."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from analytics.api.app import create_app
from analytics.api.pool import PoolBusyError

with warnings.catch_warnings():
    # starlette's TestClient warns that it wants httpx2; httpx is what is installed
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


class Refusing:
    """A pool that fails the test if a request reaches the database, or raises `error`."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.closed = False

    @contextmanager
    def connection(self) -> Iterator[Any]:
        if self.error is not None:
            raise self.error
        raise AssertionError("this request should have been refused before the database")
        yield

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Refusing(), login="test_bi")) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        (
            "/api/analytics/trends?period=30d",
            "query parameter metric is required",
        ),
        (
            # fifteen metrics would make a paragraph: the first few, and where the rest are
            "/api/analytics/trends?metric=happiness",
            "query parameter metric: Input should be one of the 15 values listed at /docs, e.g. "
            "'satisfaction', 'nps', 'build_success_rate' (got 'happiness')",
        ),
        (
            "/api/analytics/trends?metric=nps&period=1y",
            "period '1y' is not a number of whole days, weeks or months, like 30d, 12w or 6m (at "
            "most 1095d, 156w or 36m); short for grain=day, week or month with that many periods",
        ),
        (
            "/api/analytics/trends?metric=nps&grain=year",
            "query parameter grain: Input should be 'day', 'week' or 'month' (got 'year')",
        ),
        (
            # the old parameter still works, but not together with the new ones
            "/api/analytics/trends?metric=nps&period=12w&grain=week",
            "give period ('12w') or grain and periods, not both: period=12w is "
            "grain=week&periods=12",
        ),
        (
            "/api/analytics/trends?metric=nps&grain=month&periods=37",
            "periods must be from 1 to 36 for grain month, got 37",
        ),
        (
            "/api/analytics/trends?metric=nps&periods=0",
            "query parameter periods: Input should be greater than or equal to 1 (got '0')",
        ),
        (
            "/api/analytics/trends?metric=nps&dimension=colour",
            "query parameter dimension: Input should be 'pattern_id', 'phase', 'template_type' or "
            "'model_used' (got 'colour')",
        ),
        (
            "/api/analytics/patterns?limit=500",
            "query parameter limit: Input should be less than or equal to 100 (got '500')",
        ),
        (
            "/api/analytics/patterns?limit=0&offset=-1&order=up",
            "query parameter limit: Input should be greater than or equal to 1 (got '0') "
            "(and 2 more parameters in error)",
        ),
        (
            "/api/analytics/patterns?order=sideways",
            "query parameter order: Input should be 'asc' or 'desc' (got 'sideways')",
        ),
        (
            "/api/analytics/patterns?page=2",
            "unknown query parameter 'page': it takes limit, offset, order, sort",
        ),
        (
            "/api/health?verbose=1",
            "unknown query parameter 'verbose': it takes none",
        ),
        (
            "/api/analytics/trends?metric=nps&metric=tokens",
            "query parameter 'metric' is given 2 times; give it once",
        ),
        (
            "/api/analytics/restatements?since=0",
            "query parameter since: Input should be a date such as 2026-01-31 (got '0')",
        ),
        (
            "/api/analytics/restatements?since=20260228",
            "query parameter since: Input should be a date such as 2026-01-31 (got '20260228')",
        ),
        (
            "/api/analytics/patterns/a%00b",
            "path parameter pattern_id holds a NUL character: 'a\\x00b'",
        ),
        (
            "/api/analytics/trends?metric=nps&period=3%00d",
            "query parameter period holds a NUL character: '3\\x00d'",
        ),
        (
            "/api/analytics/trends?metric=nps&period=" + "9" * 500,
            "period '999999999999...9999999999999' is not a number of whole days, weeks or "
            "months, like 30d, 12w or 6m (at most 1095d, 156w or 36m); short for grain=day, week "
            "or month with that many periods",
        ),
        (
            "/api/analytics/patterns?sort=build_success_rate",
            "query parameter sort: Input should be 'pattern_id', 'pattern_name', "
            "'total_projects', 'projects_last_30_days', 'build_success_ratio', 'feedback_count', "
            "'avg_satisfaction', 'nps' or 'last_activity' (got 'build_success_rate')",
        ),
    ],
)
def test_a_bad_parameter_is_a_400_with_one_sentence(
    client: TestClient, path: str, detail: str
) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert response.json() == {"detail": detail}


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (PoolBusyError(), "the warehouse is busy"),
        (
            psycopg.errors.UndefinedTable('relation "marts.metrics_daily" does not exist'),
            "run the nightly refresh",
        ),
        (
            psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
            "statement timeout",
        ),
        (psycopg.errors.InsufficientPrivilege("permission denied"), "check its grants"),
    ],
)
def test_a_warehouse_that_cannot_answer_is_a_503(error: Exception, says: str) -> None:
    with TestClient(create_app(Refusing(error), login="test_bi")) as client:
        response = client.get("/api/analytics/trends?metric=nps")
    assert response.status_code == 503
    assert says in response.json()["detail"]


def test_the_openapi_document_lists_the_seeds_endpoints(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["info"]["title"] == "Forge analytics API"
    assert set(document["paths"]) == {
        "/api/analytics/patterns",
        "/api/analytics/patterns/{pattern_id}",
        "/api/analytics/trends",
        "/api/analytics/restatements",
        "/api/health",
    }
    assert set(document["paths"]["/api/analytics/patterns"]["get"]["responses"]) == {
        "200",
        "400",
        "503",
    }  # FastAPI's 422 is not listed: a bad parameter is a 400
    restatements = document["paths"]["/api/analytics/restatements"]["get"]
    assert set(restatements["responses"]) == {"200", "400", "404", "503"}
    fields = document["components"]["schemas"]["Restatement"]["properties"]
    assert "unit" in fields["old_value"]["description"] and "unit" in fields
    assert "fraction" in fields["relative_change"]["description"]
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_only_get_is_allowed(client: TestClient) -> None:
    assert client.post("/api/analytics/patterns").status_code == 405
    response = client.delete("/api/analytics/patterns/rest-api")
    assert response.status_code == 405
    assert response.json() == {"detail": "DELETE is not allowed here: the API only reads (GET)"}


def test_an_unknown_path_is_a_404_with_one_sentence(client: TestClient) -> None:
    response = client.get("/api/analytics/" + "x" * 300)
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert detail.startswith("no endpoint at '/api/analytics/xxx") and len(detail) < 150
    assert detail.endswith("the endpoints are listed at /docs")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_their_assets_from_the_api_itself(
    client: TestClient, page: str
) -> None:
    html = client.get(page).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(asset.startswith("/docs-assets/") for asset in assets), assets
    assert "https://" not in html and "http://" not in html
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.content) > 1000, asset
        assert b"cdn.redoc.ly" not in response.content  # Redocly's logo, blanked
    policy = client.get(page).headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy


def test_swagger_ui_calls_no_validator(client: TestClient) -> None:
    assert '"validatorUrl": null' in client.get("/docs").text


def test_every_number_in_the_openapi_document_says_its_unit(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    undescribed = [
        f"{name}.{field}"
        for name, schema in schemas.items()
        for field, spec in schema.get("properties", {}).items()
        if _is_number(spec) and field not in ("limit", "offset") and not spec.get("description")
    ]
    assert undescribed == []
    rates = [
        field
        for schema in schemas.values()
        for field in schema.get("properties", {})
        if "rate" in field and not field.endswith("_ratio")
    ]
    assert rates == []  # a rate is a fraction named *_ratio, nothing else
    assert schemas["Trend"]["properties"]["unit"]["$ref"].endswith("/Unit")
    assert set(schemas["Unit"]["enum"]) == {"ratio", "rating", "score", "count", "usd", "seconds"}


def _is_number(spec: dict[str, Any]) -> bool:
    types = {spec.get("type")} | {item.get("type") for item in spec.get("anyOf", [])}
    return bool(types & {"number", "integer"})


def test_cors_is_off_unless_origins_are_given() -> None:
    origin = {"Origin": "https://dash.example"}
    with TestClient(create_app(Refusing(PoolBusyError()), login="x")) as closed:
        assert (
            "access-control-allow-origin" not in closed.get("/api/health", headers=origin).headers
        )
    app = create_app(Refusing(PoolBusyError()), login="x", cors_origins=["https://dash.example"])
    with TestClient(app) as open_:
        response = open_.get("/api/health", headers=origin)
    assert response.headers["access-control-allow-origin"] == "https://dash.example"


def test_the_pool_is_closed_when_the_app_stops() -> None:
    pool = Refusing()
    with TestClient(create_app(pool, login="x")):
        assert not pool.closed
    assert pool.closed
