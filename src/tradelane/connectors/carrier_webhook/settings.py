"""Typed settings of one carrier's tracking webhooks; the signing secret comes from the environment only."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tradelane.connectors.rest_common import WebhookPartnerSettings

__all__ = ["CarrierWebhookSettings"]


class CarrierWebhookSettings(WebhookPartnerSettings):
    """How one carrier's webhooks are checked and mapped (env prefix ``TRADELANE_CARRIER_WEBHOOK_``; the
    fields are :class:`~tradelane.connectors.rest_common.WebhookPartnerSettings`')."""

    model_config = SettingsConfigDict(env_prefix="TRADELANE_CARRIER_WEBHOOK_", frozen=True, extra="ignore")
