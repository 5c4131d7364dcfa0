"""The hub's EDI settings: ``edi.filedrop``, ``edi.ack_check_seconds`` and ``edi`` endpoints, checked with the
offending key named — at load time (settings) and when the hub is wired (partners, folders, documents)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradelane.core.errors import ConfigError
from tradelane.edi import EdiHub, builtin_partners
from tradelane.settings import load_settings


def test_settings_refuse_bad_values_naming_the_key() -> None:
    with pytest.raises(ConfigError) as no_target:
        load_settings(None, endpoints={"swift-edi": {"kind": "edi"}})
    assert no_target.value.key == "endpoints.swift-edi" and "edi: {partner" in str(no_target.value)
    with pytest.raises(ConfigError) as bad_poll:
        load_settings(None, edi={"filedrop": {"poll_seconds": 0}})
    assert bad_poll.value.key == "edi.filedrop.poll_seconds"
    with pytest.raises(ConfigError) as bad_check:
        load_settings(None, edi={"ack_check_seconds": -1})
    assert bad_check.value.key == "edi.ack_check_seconds"
    ok = load_settings(
        None,
        edi={"filedrop": {"root": "/srv/edi", "partners": ["abf"], "poll_seconds": 2.5}},
        endpoints={"swift-edi": {"kind": "edi", "edi": {"partner": "swift", "document": "204"}}},
    )
    assert ok.edi.filedrop.root == Path("/srv/edi") and ok.edi.filedrop.tenant == "hub"
    assert ok.endpoints["swift-edi"].edi is not None and ok.endpoints["swift-edi"].edi.document == "204"


def test_wiring_checks_partners_folders_and_documents(tmp_path: Path) -> None:
    book = builtin_partners()
    store = object()  # not touched while wiring
    with pytest.raises(ConfigError) as unknown:
        EdiHub(book, store, channels={"nobody": tmp_path})  # type: ignore[arg-type]
    assert unknown.value.key == "edi.filedrop.nobody"
    with pytest.raises(ConfigError) as unfoldered:
        EdiHub(book, store, channels={"abf": tmp_path / "abf"}, polled=["abf", "swift"])  # type: ignore[arg-type]
    assert unfoldered.value.key == "edi.filedrop.partners"
    hub = EdiHub(book, store, channels={"swift": tmp_path / "swift"})  # type: ignore[arg-type]
    assert hub.destination("swift", "204", endpoint="e").doc_type == "204"
    with pytest.raises(ConfigError) as wrong_doc:
        hub.destination("swift", "IFTMIN", endpoint="e")
    assert wrong_doc.value.key == "endpoints.e.edi.document" and "known: 204" in str(wrong_doc.value)
    with pytest.raises(ConfigError) as wrong_partner:
        hub.destination("nobody", "204", endpoint="e")
    assert wrong_partner.value.key == "endpoints.e.edi.partner"
    with pytest.raises(ConfigError) as no_folder:
        hub.destination("abf", "214", endpoint="e")
    assert no_folder.value.key == "edi.filedrop.root"
    assert not (tmp_path / "swift").exists()  # folders are created on first use, not when wiring
