"""The public surface of the mapping, routing-rule and connector-port modules is curated and documented."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "tradelane.mapping",
    "tradelane.mapping.spec",
    "tradelane.mapping.engine",
    "tradelane.mapping.functions",
    "tradelane.mapping.loader",
    "tradelane.ports.xref",
    "tradelane.ports.connector",
    "tradelane.connectors.registry",
    "tradelane.routing.ownership",
    "tradelane.routing.staleness",
    "tradelane.testing.xref",
    "tradelane.store.xref",
    "tradelane.cli.mapping",
    "tradelane.cli.connectors",
]


@pytest.mark.parametrize("module_name", MODULES)
def test_all_names_exist_and_module_is_documented(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__doc__ and len(module.__doc__.strip()) > 40
    assert sorted(set(module.__all__)) == sorted(module.__all__), "duplicates in __all__"
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.{name} is in __all__ but missing"
