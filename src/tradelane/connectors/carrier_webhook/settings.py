"""Typed settings of one carrier's tracking webhooks; the signing secret comes from the environment only."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["CarrierWebhookSettings"]


class CarrierWebhookSettings(BaseSettings):
    """How one carrier's webhooks are checked and mapped (env prefix ``TRADELANE_CARRIER_WEBHOOK_``)."""

    model_config = SettingsConfigDict(env_prefix="TRADELANE_CARRIER_WEBHOOK_", frozen=True, extra="ignore")

    #: the carrier's webhook signing secret(s), ``whsec_…``, space-separated while rotating
    webhook_secrets: SecretStr = SecretStr("")
    #: how the carrier signs its webhooks (explicit, never guessed)
    signature_scheme: Literal["standard", "github", "stripe"] = "standard"
    #: accepted clock difference on webhook timestamps, seconds
    tolerance_s: int = Field(default=300, ge=1, le=3600)
    #: tenant the carrier's events and cross references belong to
    tenant: str = "hub"
    #: the partner mapping file; default: the shipped ``carrier-webhook`` template
    mapping_file: Path | None = None

    def secrets(self) -> list[str]:
        """The active webhook secrets (GitHub/Stripe-style secrets may hold spaces: give one only)."""
        value = self.webhook_secrets.get_secret_value()
        return value.split() if self.signature_scheme == "standard" else [value] if value else []
