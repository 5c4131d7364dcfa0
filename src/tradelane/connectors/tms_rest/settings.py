"""Typed settings of one transport management system; secrets come from the environment only."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_TIMEOUT_S", "TmsRestSettings"]

#: seconds for one call; a TMS acknowledges a tender at once and confirms later by callback
DEFAULT_TIMEOUT_S = 15.0


class TmsRestSettings(BaseSettings):
    """Where and how to reach one TMS (env prefix ``TRADELANE_TMS_REST_``)."""

    model_config = SettingsConfigDict(env_prefix="TRADELANE_TMS_REST_", frozen=True, extra="ignore")

    #: base URL of the TMS API, e.g. ``https://tms.example.com``
    base_url: str
    #: the API key we present to the TMS
    api_key: SecretStr = SecretStr("")
    #: the header carrying :attr:`api_key`
    api_key_header: str = "X-Api-Key"
    #: the TMS's callback signing secret(s), ``whsec_…``, space-separated while rotating
    webhook_secrets: SecretStr = SecretStr("")
    #: how the TMS signs its callbacks (explicit, never guessed)
    signature_scheme: Literal["standard", "github", "stripe"] = "standard"
    #: accepted clock difference on callback timestamps, seconds
    tolerance_s: int = Field(default=300, ge=1, le=3600)
    #: tenant the TMS's events and cross references belong to
    tenant: str = "hub"
    #: the partner mapping file; default: the shipped ``tms-rest`` template
    mapping_file: Path | None = None
    #: seconds before one call times out
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, le=120)

    def secrets(self) -> list[str]:
        """The active callback secrets (GitHub/Stripe-style secrets may hold spaces: give one only)."""
        value = self.webhook_secrets.get_secret_value()
        return value.split() if self.signature_scheme == "standard" else [value] if value else []
