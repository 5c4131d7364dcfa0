"""Typed settings of one Odoo connection; secrets come from the environment, never from YAML."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_TIMEOUT_S", "OdooSettings", "Protocol"]

#: ``auto`` probes ``common.version`` and picks JSON-2 on 19+ (when an API key is set), JSON-RPC otherwise
Protocol = Literal["auto", "jsonrpc", "xmlrpc", "json2"]

#: seconds for one RPC; Odoo validates a 500-picking batch in well under this on a 2-core box
DEFAULT_TIMEOUT_S = 60.0
#: concurrent calls to one Odoo; the reference (§8) measured no gain beyond 1–2 on a ``--workers=0`` server
DEFAULT_CONCURRENCY = 2
#: attempts for one call when the failure is known not to have been applied (or the call is read-only)
DEFAULT_RETRY_ATTEMPTS = 4


class OdooSettings(BaseSettings):
    """Where and how to reach one Odoo database (env prefix ``TRADELANE_ODOO_``)."""

    model_config = SettingsConfigDict(env_prefix="TRADELANE_ODOO_", frozen=True, extra="ignore")

    #: base URL, e.g. ``https://erp.example.com``
    url: str
    #: database name
    db: str
    #: login of the integration user
    user: str = "admin"
    #: the user's password or an API key (API keys are accepted wherever a password is, reference §1.2)
    password: SecretStr = SecretStr("")
    #: an API key; required for JSON-2 (19+), preferred over ``password`` when both are set
    api_key: SecretStr | None = None
    #: wire protocol; ``auto`` decides from the server version
    protocol: Protocol = "auto"
    #: skip the version probe by stating the server's major version (e.g. ``"17.0"``)
    version: str | None = None
    #: seconds before one call times out
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0)
    #: concurrent calls allowed to this Odoo
    max_concurrency: int = Field(default=DEFAULT_CONCURRENCY, ge=1)
    #: calls per second allowed to this Odoo; 0 means unlimited
    rate_limit_per_s: float = Field(default=0.0, ge=0)
    #: attempts for one call (read-only calls, or failures known not to have been applied)
    retry_attempts: int = Field(default=DEFAULT_RETRY_ATTEMPTS, ge=1)
    #: first back-off in seconds (jittered and doubled up to ``retry_wait_max_s``)
    retry_wait_initial_s: float = Field(default=0.2, ge=0)
    #: longest back-off in seconds
    retry_wait_max_s: float = Field(default=3.0, ge=0)

    @property
    def secret(self) -> str:
        """The credential sent with each call: the API key when set, else the password."""
        if self.api_key is not None and self.api_key.get_secret_value():
            return self.api_key.get_secret_value()
        return self.password.get_secret_value()
