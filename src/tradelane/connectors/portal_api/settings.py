"""Typed settings of one customer portal; secrets come from the environment only."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tradelane.connectors.rest_common import DEFAULT_TIMEOUT_S, RestPartnerSettings

__all__ = ["DEFAULT_TIMEOUT_S", "PortalApiSettings"]


class PortalApiSettings(RestPartnerSettings):
    """Where and how to reach one portal (env prefix ``TRADELANE_PORTAL_API_``; the fields are
    :class:`~tradelane.connectors.rest_common.RestPartnerSettings`')."""

    model_config = SettingsConfigDict(env_prefix="TRADELANE_PORTAL_API_", frozen=True, extra="ignore")
