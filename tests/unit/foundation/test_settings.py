"""Config loading: YAML + env, errors that point at the key and line, secrets refused in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradelane.core.errors import ConfigError
from tradelane.settings import load_settings


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "tradelane.yaml"
    p.write_text(text)
    return p


def test_defaults_are_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADELANE_CONFIG", raising=False)
    s = load_settings(None)
    assert s.mode == "embedded"
    assert s.database_url().startswith("sqlite:///")


def test_yaml_and_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = write(tmp_path, "api:\n  port: 9000\n  max_json_depth: 20\n")
    monkeypatch.setenv("TRADELANE_API__PORT", "9100")
    s = load_settings(p)
    assert s.api.port == 9100  # env wins
    assert s.api.max_json_depth == 20


def test_unknown_key_names_key_and_line(tmp_path: Path) -> None:
    p = write(tmp_path, "api:\n  port: 9000\n  prot: 1\n")
    with pytest.raises(ConfigError) as ei:
        load_settings(p)
    assert ei.value.key == "api.prot" and ei.value.line == 3
    assert "unknown setting" in str(ei.value)


def test_bad_value_names_key_and_line(tmp_path: Path) -> None:
    p = write(tmp_path, "mode: embedded\ningest:\n  group_commit_max: -4\n")
    with pytest.raises(ConfigError) as ei:
        load_settings(p)
    assert ei.value.key == "ingest.group_commit_max" and ei.value.line == 3


def test_secret_in_yaml_is_refused(tmp_path: Path) -> None:
    p = write(tmp_path, "api:\n  port: 1\nsecret_key: hunter2\n")
    with pytest.raises(ConfigError) as ei:
        load_settings(p)
    assert ei.value.key == "secret_key" and ei.value.line == 3
    assert "hunter2" not in str(ei.value)


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    p = write(tmp_path, "api:\n  port: [1,\n")
    with pytest.raises(ConfigError) as ei:
        load_settings(p)
    assert ei.value.line is not None and "YAML" in str(ei.value)


def test_embedded_secret_is_generated_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADELANE_SECRET_KEY", raising=False)
    monkeypatch.delenv("TRADELANE_SECRET_KEY_FILE", raising=False)
    s = load_settings(None, data_dir=tmp_path)
    k1 = s.resolved_secret_key()
    assert k1 == s.resolved_secret_key() and len(k1) >= 32
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0


def test_distributed_mode_needs_a_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TRADELANE_SECRET_KEY", raising=False)
    monkeypatch.delenv("TRADELANE_SECRET_KEY_FILE", raising=False)
    s = load_settings(None, mode="distributed", data_dir=tmp_path)
    with pytest.raises(ConfigError):
        s.resolved_secret_key()
    monkeypatch.setenv("TRADELANE_SECRET_KEY", "from-env")
    assert load_settings(None, mode="distributed").resolved_secret_key() == b"from-env"
