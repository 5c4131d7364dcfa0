"""The public surface of the core model packages is curated: every ``__all__`` name exists, and every
exported model follows the canonical rules (immutable, unknown fields refused, fields documented)."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

import tradelane.core.model as model_pkg
from tradelane.core.model import CanonicalModel

MODULES = [
    "tradelane.core.model",
    "tradelane.core.units",
    "tradelane.core.milestones",
    "tradelane.core.catalog",
    "tradelane.core.schema",
    "tradelane.core.examples",
]


@pytest.mark.parametrize("module_name", MODULES)
def test_all_names_exist_and_module_is_documented(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__doc__ and len(module.__doc__.strip()) > 40
    assert sorted(set(module.__all__)) == sorted(module.__all__), "duplicates in __all__"
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.{name} is in __all__ but missing"


def _exported_models() -> list[type[BaseModel]]:
    found = [getattr(model_pkg, name) for name in model_pkg.__all__]
    return [obj for obj in found if inspect.isclass(obj) and issubclass(obj, BaseModel)]


def test_exported_models_are_canonical() -> None:
    models = _exported_models()
    assert len(models) > 40
    for cls in models:
        assert issubclass(cls, CanonicalModel), cls
        assert cls.model_config.get("frozen") is True, cls
        assert cls.model_config.get("extra") == "forbid", cls


def test_every_model_field_has_a_doc_comment() -> None:
    for cls in _exported_models():
        if cls is CanonicalModel:
            continue
        source = inspect.getsource(cls)
        for field in cls.__annotations__:
            if field.startswith("_") or field in {"model_config", "consistent_ids"}:
                continue
            pattern = rf"#:[^\n]*\n\s+{re.escape(field)}:"
            assert re.search(pattern, source), f"{cls.__name__}.{field} lacks a '#:' comment"


def test_core_model_imports_nothing_outside_core() -> None:
    package_dir = Path(model_pkg.__file__).parent.parent
    for path in [*package_dir.glob("*.py"), *package_dir.glob("model/*.py")]:
        if path.name in {"__init__.py"} and path.parent == package_dir:
            continue
        text = path.read_text("utf-8")
        for imported in re.findall(r"^(?:from|import) (tradelane\.[\w.]+)", text, flags=re.M):
            assert imported.startswith("tradelane.core"), f"{path.name} imports {imported}"
