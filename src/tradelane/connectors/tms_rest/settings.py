"""Typed settings of one transport management system; secrets come from the environment only."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tradelane.connectors.rest_common import DEFAULT_TIMEOUT_S, RestPartnerSettings

__all__ = ["DEFAULT_TIMEOUT_S", "TmsRestSettings"]


class TmsRestSettings(RestPartnerSettings):
    """Where and how to reach one TMS (env prefix ``TRADELANE_TMS_REST_``; the fields are
    :class:`~tradelane.connectors.rest_common.RestPartnerSettings`')."""

    model_config = SettingsConfigDict(env_prefix="TRADELANE_TMS_REST_", frozen=True, extra="ignore")
