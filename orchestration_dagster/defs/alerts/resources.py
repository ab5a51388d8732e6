"""Where alerts go: always the log, and a webhook (JSON over HTTP, httpx) when one is configured."""

from __future__ import annotations

import logging

import dagster as dg
import httpx
from pydantic import Field

from core.settings import get_settings
from orchestration_dagster.lib.alerts import Alert, link_free

logger = logging.getLogger("orchestration_dagster.alerts")


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
        try:
            response = httpx.post(url, json=alert.payload(), timeout=self.timeout_seconds)
            response.raise_for_status()
        except httpx.HTTPError as error:
            logger.error("alert not delivered to the webhook: %s", link_free(str(error)))
            return False
        return True


alert_resource = AlertResource()
