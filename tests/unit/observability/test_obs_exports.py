"""The observability modules export exactly what they define, each with a module docstring."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "module_name",
    [
        "tradelane.observability",
        "tradelane.observability.metrics",
        "tradelane.observability.tracing",
        "tradelane.observability.logging",
    ],
)
def test_every_exported_name_exists_and_is_public(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = module.__all__
    assert len(set(exported)) == len(exported)
    assert list(exported) == sorted(exported)
    for name in exported:
        assert not name.startswith("_"), name
        assert hasattr(module, name), f"{module_name}.{name} is exported but not defined"
    assert module.__doc__ and len(module.__doc__) > 100
