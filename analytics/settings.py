"""Settings of the analytics API, read from the environment once (FORGE_ prefix)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AnalyticsSettings(BaseSettings):
    """How the API reaches the marts and who may call it from a browser."""

    model_config = SettingsConfigDict(env_prefix="FORGE_", extra="ignore")

    # a BI login's URI (forge-warehouse bi-login create); unset: the API's own login below
    bi_dsn: SecretStr | None = None
    # the login the API creates (or renews) in forge_bi when FORGE_BI_DSN is unset
    api_login: str = "forge_bi_api"
    # connections the API keeps to the warehouse; its own login gets this + 1 as its limit
    api_pool_size: int = Field(default=4, ge=1, le=32)
    # browser origins allowed to call the API (comma-separated); empty: same origin only
    api_cors_origins: str = ""

    @property
    def cors_origins(self) -> list[str]:
        return [origin.strip() for origin in self.api_cors_origins.split(",") if origin.strip()]


@lru_cache(maxsize=1)
def get_analytics_settings() -> AnalyticsSettings:
    """The process's analytics settings, read from the environment on first use."""
    return AnalyticsSettings()
