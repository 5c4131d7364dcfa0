"""The security modules' public surface and settings: curated ``__all__`` lists, and defaults that agree."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from pydantic import ValidationError

from tradelane.security.keyring import DEFAULT_ROTATION_OVERLAP
from tradelane.security.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEFAULT_TTL_S
from tradelane.settings import SecuritySettings, Settings

MODULES = [
    "tradelane.security.apikeys",
    "tradelane.security.audit",
    "tradelane.security.keyring",
    "tradelane.security.properties",
    "tradelane.security.roles",
    "tradelane.security.secretbox",
    "tradelane.security.tokens",
    "tradelane.security.urlguard",
    "tradelane.security.vault",
    "tradelane.cli.security",
    "tradelane.cli.audit_trail",
    "tradelane.api.auth",
    "tradelane.api.oauth",
    "tradelane.api.ratelimit",
    "tradelane.store.audit",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_exactly_real_public_names(name: str) -> None:
    mod = importlib.import_module(name)
    exported = mod.__all__
    assert len(set(exported)) == len(exported)
    for item in exported:
        assert not item.startswith("_") and hasattr(mod, item), f"{name}.{item}"
    assert mod.__doc__ and len(mod.__doc__) > 80, f"{name} needs a module docstring saying what it is for"


def test_settings_defaults_agree_with_the_code() -> None:
    cfg = Settings().security
    assert (cfg.token_ttl_s, cfg.token_issuer, cfg.token_audience) == (
        DEFAULT_TTL_S,
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    )
    assert timedelta(seconds=cfg.key_rotation_overlap_s) == DEFAULT_ROTATION_OVERLAP
    assert cfg.rate_limit_enabled and cfg.rate_limit.burst >= cfg.rate_limit.per_s


@pytest.mark.parametrize(
    "bad",
    [
        {"token_ttl_s": 5},
        {"token_ttl_s": 10**6},
        {"token_issuer": ""},
        {"rate_limit": {"per_s": 0, "burst": 1}},
        {"rate_limit": {"per_s": 1, "burst": 0}},
        {"rate_limit_scopes": {"events:read": {"per_s": -1, "burst": 1}}},
        {"unknown_knob": 1},
    ],
)
def test_bad_security_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SecuritySettings(**bad)  # type: ignore[arg-type]


def test_security_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADELANE_SECURITY__TOKEN_TTL_S", "120")
    monkeypatch.setenv("TRADELANE_SECURITY__RATE_LIMIT__BURST", "7")
    cfg = Settings().security
    assert cfg.token_ttl_s == 120 and cfg.rate_limit.burst == 7
