"""Property-level authorisation: prices and costs leave the hub only for holders of ``pricing:read``.

Which fields are pricing is computed from the canonical model, not hand-listed: every field whose type
contains :class:`~tradelane.core.model.Money` (``unit_price``, ``rate``, ``offered_rate``, ``amount``,
``total`` …) and every collection of models that are prices (``charges``), plus a few generic names partners
use in free-form data (:data:`GENERIC_PRICING_KEYS`). :func:`strip_pricing` removes those keys at any depth
of a JSON document, and any Money-shaped object (exactly ``amount`` + ``currency``) wherever it appears.
A new Money field in the model is covered without touching this module.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from tradelane.core import model as _model
from tradelane.core.model.base import CanonicalModel
from tradelane.core.model.quantities import Money

__all__ = ["GENERIC_PRICING_KEYS", "PRICING_FIELDS", "PRICING_SCOPE", "pricing_fields", "strip_pricing"]

#: the scope that lets a caller see prices and costs
PRICING_SCOPE = "pricing:read"
#: pricing key names that may appear in free-form partner data even though no canonical field has them
GENERIC_PRICING_KEYS = frozenset(
    {"amount", "price", "prices", "unit_price", "cost", "costs", "charges", "total", "rate", "tariff"}
)
_MONEY_KEYS = frozenset(Money.model_fields)


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _leaf_types(annotation: Any) -> Iterator[Any]:
    args = typing.get_args(annotation)
    if not args:
        yield annotation
        return
    for arg in args:
        yield from _leaf_types(arg)


def _is_collection(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_collection(a) for a in typing.get_args(annotation))
    return origin in (tuple, list, set, frozenset)


def _is_a_price(cls: type[BaseModel]) -> bool:
    """A model that cannot exist without an amount of money (a charge), unlike one that may carry one."""
    return any(f.is_required() and any(leaf is Money for leaf in _leaf_types(f.annotation))
               for f in cls.model_fields.values())


def pricing_fields() -> frozenset[str]:
    """Names of canonical-model fields that hold money, or collections of prices (models that cannot exist
    without an amount, like a freight charge — but not order lines, whose unit price is optional)."""
    _ = _model  # every model module is imported by the package, so every subclass is registered
    names: set[str] = set()
    for cls in _subclasses(CanonicalModel):
        if not issubclass(cls, BaseModel) or cls is Money:
            continue
        for name, f in cls.model_fields.items():
            leaves = list(_leaf_types(f.annotation))
            if any(leaf is Money for leaf in leaves):
                names.add(f.alias or name)
            elif _is_collection(f.annotation) and any(
                isinstance(leaf, type) and issubclass(leaf, BaseModel) and _is_a_price(leaf) for leaf in leaves
            ):
                names.add(f.alias or name)
    return frozenset(names)


#: every key :func:`strip_pricing` removes
PRICING_FIELDS: frozenset[str] = pricing_fields() | GENERIC_PRICING_KEYS


def _is_money(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == _MONEY_KEYS


def strip_pricing(doc: Any) -> Any:
    """A copy of the JSON document ``doc`` without pricing fields or Money-shaped objects, at any depth."""
    if isinstance(doc, dict):
        return {
            k: strip_pricing(v)
            for k, v in doc.items()
            if not (isinstance(k, str) and k.lower() in PRICING_FIELDS) and not _is_money(v)
        }
    if isinstance(doc, list):
        return [strip_pricing(v) for v in doc if not _is_money(v)]
    return doc
