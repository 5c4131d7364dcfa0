"""Typed settings of one yard and dock scheduling system; secrets come from the environment only."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tradelane.connectors.rest_common import DEFAULT_TIMEOUT_S, RestPartnerSettings

__all__ = ["DEFAULT_TIMEOUT_S", "YardSettings"]


class YardSettings(RestPartnerSettings):
    """Where and how to reach one yard system (env prefix ``TRADELANE_YARD_``; the fields are
    :class:`~tradelane.connectors.rest_common.RestPartnerSettings`')."""

    model_config = SettingsConfigDict(env_prefix="TRADELANE_YARD_", frozen=True, extra="ignore")
