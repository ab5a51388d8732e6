"""The API's /docs (Swagger UI) and /redoc (ReDoc) pages, served with their assets, offline.

FastAPI's own pages load Swagger UI and ReDoc from a CDN. The assets here come from the
fastapi-offline wheel (its `static/` folder: swagger-ui-bundle.js, swagger-ui.css,
redoc.standalone.js, favicon.png), served by this API; the pages are FastAPI's own HTML
helpers pointed at them. Two guards keep every request on this server:

- the pages carry a Content-Security-Policy that lets the browser load only from here;
- ReDoc's side menu shows Redocly's logo from Redocly's CDN with no option to turn it off:
  its URL is blanked in the script as served (the image then hides itself, the "API docs by
  Redocly" link stays). If a new ReDoc drops that URL, the script is served unchanged.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/docs-assets"
REDOCLY_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
POLICY = "; ".join(
    [
        "default-src 'self'",
        # Swagger UI starts from an inline script; both inject their styles inline
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        # ReDoc's search index runs in a worker made from a blob
        "worker-src 'self' blob:",
        "connect-src 'self'",
    ]
)


def add_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets from this API (app made with docs_url=None)."""
    title = app.title
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(f"{ASSETS_URL}/redoc.standalone.js", include_in_schema=False)
    def redoc_script() -> Response:
        return Response(_redoc_script(), media_type="text/javascript")

    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            # no call to swagger.io's validator
            swagger_ui_parameters={"validatorUrl": None},
        )
        return _guarded(page)

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
        return _guarded(page)


@cache
def _redoc_script() -> bytes:
    return (ASSETS / "redoc.standalone.js").read_bytes().replace(REDOCLY_LOGO, b"")


def _guarded(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = POLICY
    return page
