"""Where alerts go: always the log, and a webhook when one is configured."""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass

import dagster as dg
from pydantic import Field

from core.settings import get_settings

logger = logging.getLogger("orchestration_dagster.alerts")

RUN_FAILURE = "run_failure"
BLOCKING_CHECK_FAILED = "blocking_check_failed"
MISSED_FRESHNESS = "missed_freshness"

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_MAX_REASON = 500


def link_free(text: str) -> str:
    """One line, without URLs (which may carry credentials), at most a few hundred characters."""
    line = " ".join(_URL.sub("[link removed]", text).split())
    return line if len(line) <= _MAX_REASON else line[: _MAX_REASON - 1] + "…"


@dataclass(frozen=True)
class Alert:
    """One thing an operator must know: what kind, on which asset, why, and in one line."""

    kind: str
    asset: str
    reason: str
    job: str
    run_id: str

    @property
    def summary(self) -> str:
        titles = {
            RUN_FAILURE: "Run failed",
            BLOCKING_CHECK_FAILED: "Blocking check failed",
            MISSED_FRESHNESS: "Missed freshness",
        }
        title = titles.get(self.kind, self.kind)
        return link_free(
            f"{title}: {self.asset} — {self.reason} (job {self.job}, run {self.run_id[:8]})"
        )

    def payload(self) -> dict[str, str]:
        return {**asdict(self), "reason": link_free(self.reason), "summary": self.summary}


class AlertResource(dg.ConfigurableResource["AlertResource"]):
    """Sends alerts to the log and, when configured, as JSON POSTed to a webhook."""

    webhook_url: str | None = Field(
        default=None, description="Webhook for alerts; default: FORGE_ALERT_WEBHOOK_URL, or none."
    )
    timeout_seconds: float = Field(default=10.0, gt=0)

    def url(self) -> str | None:
        return self.webhook_url or get_settings().alert_webhook_url

    def send(self, alert: Alert, log: logging.Logger | dg.DagsterLogManager | None = None) -> bool:
        """Log the alert, then POST it to the webhook if there is one; True if it was delivered."""
        for sink in (logger, log):
            if sink is not None:
                sink.warning(f"ALERT {alert.summary}")
        url = self.url()
        if url is None:
            return False
        request = urllib.request.Request(
            url,
            data=json.dumps(alert.payload()).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                response.read()
        except (urllib.error.URLError, OSError) as error:
            logger.error("alert not delivered to the webhook: %s", link_free(str(error)))
            return False
        return True


alert_resource = AlertResource()
