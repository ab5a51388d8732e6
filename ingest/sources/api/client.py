"""HTTP for the DataForge API: one page per request, a timeout on every call, bounded retries.

A page is downloaded whole into a spooled temporary file (memory up to SPOOL_MEMORY_BYTES, disk
beyond) before it is parsed: a retry then restarts the page from its first byte, and no page
is ever held in memory whatever its size.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from typing import IO, Any, Literal

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from core.db import first_line
from core.exceptions import IngestError, SourceAuthError
from core.settings import Settings

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = 1.0  # first retry waits up to this long, then doubling (full jitter)
MAX_WAIT_SECONDS = 60.0  # cap on one wait, whether backoff or the server's Retry-After
SPOOL_MEMORY_BYTES = 4 << 20
# A whole page must arrive within this many per-call timeouts: the timeout bounds each read,
# and a server trickling a byte per read would otherwise hold a pull for days.
PAGE_TIMEOUTS = 30
# The most a page may hold once decoded (a 60 MB page of 10,000 records is ordinary; a small
# gzip body can decode to gigabytes of nothing, spooled to disk)
MAX_PAGE_BYTES = 1 << 30

Decision = Literal["ok", "retry", "auth", "fail"]


@dataclass(frozen=True)
class Page:
    """One downloaded page: its body is a readable binary file positioned at its start."""

    url: str  # without credentials, with offset and limit
    offset: int
    limit: int
    body: IO[bytes]
    size: int


class _Retryable(Exception):
    """An attempt that may succeed if tried again (timeout, dropped connection, 429, 5xx)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def classify_status(status: int) -> Decision:
    """What a response status means for this request: use it, retry, refused, or give up."""
    if 200 <= status < 300:
        return "ok"
    if status == 429 or 500 <= status < 600:
        return "retry"
    if status in (401, 403):
        return "auth"
    return "fail"


def retry_after_seconds(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks us to wait (delta-seconds or HTTP date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def parse_base_url(base_url: str) -> httpx.URL:
    """The API's root URL; anything but http(s)://host[:port][/prefix] is a clear error."""
    try:
        url = httpx.URL(base_url.strip())
    except httpx.InvalidURL as error:
        raise IngestError(f"the DataForge base URL {base_url!r} is not a URL ({error})") from None
    if url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
        raise IngestError(
            f"the DataForge base URL {display_url(url)!r} should be the API's root, "
            "such as http://dataforge.internal:8080"
        )
    return url


def display_url(url: httpx.URL) -> str:
    """The URL as logs, errors and audit rows show it: never a user name or password."""
    return str(url.copy_with(userinfo=b"")) if url.userinfo else str(url)


class DataForgeClient:
    """GETs pages of the DataForge API with a per-call timeout and bounded, backed-off retries."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout_seconds: float = 10.0,
        max_attempts: int = 5,
        backoff_seconds: float = BACKOFF_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = parse_base_url(base_url)
        self.timeout_seconds = timeout_seconds
        self.max_attempts = max_attempts
        self._sleep = sleep
        self._backoff = wait_random_exponential(multiplier=backoff_seconds, max=MAX_WAIT_SECONDS)
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=True,
            transport=transport,
        )

    @classmethod
    def from_settings(
        cls, base_url: str, settings: Settings, *, backoff_seconds: float = BACKOFF_SECONDS
    ) -> DataForgeClient:
        token = settings.dataforge_token
        return cls(
            base_url,
            token=token.get_secret_value() if token is not None else None,
            timeout_seconds=settings.api_timeout_seconds,
            max_attempts=settings.api_max_attempts,
            backoff_seconds=backoff_seconds,
        )

    def __enter__(self) -> DataForgeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def endpoint_url(self, path: str) -> httpx.URL:
        """`path` (e.g. /api/outcomes) below the base URL, keeping any path prefix it has."""
        return self.base_url.copy_with(path=self.base_url.path.rstrip("/") + path)

    def source_name(self, path: str) -> str:
        """How audit.loads and audit.watermarks name an endpoint: api:<url without credentials>."""
        return f"api:{display_url(self.endpoint_url(path))}"

    @contextmanager
    def fetch_page(self, path: str, *, offset: int, limit: int) -> Iterator[Page]:
        """GET one page, retried on timeouts, dropped connections, 429 and 5xx."""
        url = self.endpoint_url(path).copy_merge_params({"limit": limit, "offset": offset})
        shown = display_url(url)
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self._sleep,
            before_sleep=lambda state: _log_retry(shown, state),
            reraise=True,
        )
        started = time.monotonic()
        try:
            body, size = retrying(self._download, url, shown)
        except _Retryable as error:
            raise IngestError(
                f"the DataForge API still failed after {self.max_attempts} attempts at {shown}: "
                f"{error.reason}"
            ) from None
        logger.debug("GET %s: %d bytes in %.2fs", shown, size, time.monotonic() - started)
        try:
            yield Page(shown, offset, limit, body, size)
        finally:
            body.close()

    def _download(self, url: httpx.URL, shown: str) -> tuple[IO[bytes], int]:
        """One attempt: the whole body into a spooled file, or an exception saying why not."""
        spool: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115
        try:
            size = self._stream_into(spool, url, shown)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool, size

    def _stream_into(self, spool: IO[bytes], url: httpx.URL, shown: str) -> int:
        size = 0
        allowed = PAGE_TIMEOUTS * self.timeout_seconds
        deadline = time.monotonic() + allowed
        try:
            with self._http.stream("GET", url) as response:
                _check_status(response, shown)
                for chunk in response.iter_bytes():  # as read: each read meets the deadline
                    spool.write(chunk)
                    size += len(chunk)
                    if size > MAX_PAGE_BYTES:
                        raise IngestError(
                            f"the page at {shown} is larger than {MAX_PAGE_BYTES:,} bytes "
                            "decoded; ask for fewer records per page (FORGE_API_PAGE_SIZE)"
                        )
                    if time.monotonic() > deadline:
                        raise _Retryable(
                            f"the page had not arrived after {allowed:g}s ({size} bytes so far; "
                            f"{PAGE_TIMEOUTS} x FORGE_API_TIMEOUT_SECONDS)"
                        )
        except httpx.TimeoutException as error:
            raise _Retryable(
                f"no answer within {self.timeout_seconds:g}s ({type(error).__name__})"
            ) from None
        except (httpx.NetworkError, httpx.RemoteProtocolError) as error:
            raise _Retryable(f"the connection failed ({first_line(error)})") from None
        except httpx.HTTPError as error:
            raise IngestError(
                f"cannot GET {shown} from the DataForge API: {first_line(error)}"
            ) from None
        return size

    def _wait(self, state: RetryCallState) -> float:
        """The server's Retry-After when it sent one, else exponential backoff with jitter."""
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, _Retryable) and error.retry_after is not None:
            return min(error.retry_after, MAX_WAIT_SECONDS)
        return float(self._backoff(state))


def _check_status(response: httpx.Response, shown: str) -> None:
    status = response.status_code
    decision = classify_status(status)
    if decision == "ok":
        return
    if decision == "auth":
        raise SourceAuthError(
            f"the DataForge API refused our credentials (HTTP {status}) at {shown}; "
            "set FORGE_DATAFORGE_TOKEN to a valid token"
        )
    if decision == "retry":
        retry_after = None
        if status in (429, 503):
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        raise _Retryable(f"HTTP {status}", retry_after)
    raise IngestError(
        f"the DataForge API answered HTTP {status} at {shown}; check --base-url "
        "(expected 200 with a page of records)"
    )


def _log_retry(shown: str, state: RetryCallState) -> None:
    error: Any = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    logger.warning(
        "GET %s failed (attempt %d): %s; retrying in %.2fs",
        shown,
        state.attempt_number,
        getattr(error, "reason", error),
        wait,
    )
