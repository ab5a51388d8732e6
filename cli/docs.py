"""`forge-warehouse docs`: build dbt's documentation site of the warehouse and serve it locally.

`dbt docs generate --static` writes one self-contained page (models, columns, lineage, the
catalog read from the warehouse) that loads nothing from the network; this command runs it
with the warehouse's connection (no variable to set) and serves that page on 127.0.0.1.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.console import console
from core.db import dbt_env
from core.exceptions import ForgeError
from core.settings import Settings, get_settings
from core.warehouse import prepare

TARGET = Path("target") / "docs"
PAGE = "static_index.html"


def generate_site(settings: Settings, dsn: str) -> Path:
    """Write the site into target/docs/ and return its page; one sentence when dbt fails."""
    project = settings.dbt_project_dir
    page = project / TARGET / PAGE
    page.unlink(missing_ok=True)
    command = [
        str(Path(sys.executable).with_name("dbt")),
        "--no-use-colors",
        "docs",
        "generate",
        "--static",
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(TARGET),
    ]
    done = subprocess.run(
        command,
        env={**os.environ, **dbt_env(dsn)},
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not page.exists():
        lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()] or lines or ["no output"]
        raise ForgeError(f"dbt docs generate failed: {errors[-1][:300]}")
    return page


def docs(
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0: any free one).")
    ] = 8080,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the site, or only write it.")
    ] = True,
) -> None:
    """Build the dbt docs site of the warehouse (one offline page) and serve it on 127.0.0.1."""
    settings = get_settings()
    with console.status("building the docs site (dbt docs generate)"):
        page = generate_site(settings, prepare(settings))
    console.print(f"docs site: {page} (one file; opens offline)")
    if not serve:
        return
    handler = functools.partial(_Page, page=page)
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as error:
        raise ForgeError(
            f"cannot listen on 127.0.0.1:{port} ({error.strerror}); choose another with --port"
        ) from None
    console.print(f"serving it on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


class _Page(http.server.BaseHTTPRequestHandler):
    """Answers every GET with the one page (dbt's site routes inside it, after the #)."""

    def __init__(self, *args: object, page: Path, **kwargs: object) -> None:
        self.page = page
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] not in ("/", "/index.html", f"/{PAGE}"):
            self.send_error(404, "the docs site is one page, at /")
            return
        body = self.page.read_bytes()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # the browser went away mid-answer (a reload, a probe): nothing to tell the terminal,
            # where socketserver would otherwise print the traceback
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass
