"""Typed settings of one REST/JSON warehouse management system; secrets come from the environment only."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tradelane.connectors.rest_common import DEFAULT_TIMEOUT_S, RestPartnerSettings

__all__ = ["DEFAULT_TIMEOUT_S", "WmsRestSettings"]


class WmsRestSettings(RestPartnerSettings):
    """Where and how to reach one WMS (env prefix ``TRADELANE_WMS_REST_``; the fields are
    :class:`~tradelane.connectors.rest_common.RestPartnerSettings`')."""

    model_config = SettingsConfigDict(env_prefix="TRADELANE_WMS_REST_", frozen=True, extra="ignore")
