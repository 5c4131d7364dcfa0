"""The custom JMESPath functions mapping expressions may call, and the registry to add more.

Built in: ``upper(s)``, ``lower(s)``, ``trim(s)``, ``split(s, sep)``, ``replace(s, old, new)``,
``substr(s, start, length)``, ``zfill(s, width)``, ``concat(a, b, …)`` (numbers become text, nulls are
skipped), ``get(obj, key)`` (a key that is not an identifier), ``root()`` — the whole document, for expressions
evaluated inside ``each`` or ``foreach`` (``root().header.messageId``) — and ``parent()``, the element
that encloses the current ``each`` element (a line, for an expression on one of its lots).

A connector adds its own with :func:`register_function`; names must not shadow JMESPath's own functions.
Functions are pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import jmespath
from jmespath import functions as jp_functions

__all__ = [
    "FunctionSpec",
    "document_root",
    "element_scope",
    "options",
    "register_function",
    "registered_functions",
]

#: the document ``root()`` answers with, set while a mapping evaluates
_ROOT: ContextVar[Any] = ContextVar("tradelane_mapping_root", default=None)
#: the ``each`` elements being evaluated, outermost first
_SCOPES: ContextVar[tuple[Any, ...]] = ContextVar("tradelane_mapping_scopes", default=())


class FunctionSpec:
    """One custom function: its JMESPath argument types (``string``, ``number``, ``array`` …) and body."""

    def __init__(self, name: str, arg_types: tuple[tuple[str, ...], ...], fn: Callable[..., Any], *,
                 variadic: bool = False) -> None:
        self.name = name
        self.arg_types = arg_types
        self.fn = fn
        self.variadic = variadic

    def signature(self) -> list[dict[str, Any]]:
        sig: list[dict[str, Any]] = [{"types": list(types)} for types in self.arg_types]
        if self.variadic and sig:
            sig[-1]["variadic"] = True
        return sig


_REGISTRY: dict[str, FunctionSpec] = {}
_OPTIONS: list[jmespath.Options] = []


def register_function(
    name: str, *arg_types: tuple[str, ...], variadic: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` as the JMESPath function ``name``.

    :param name: the name expressions use
    :param arg_types: per argument, the JMESPath types accepted (empty tuple: any)
    :param variadic: whether the last argument repeats
    :raises ValueError: when ``name`` is a JMESPath built-in or already registered
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY or name in jp_functions.Functions.FUNCTION_TABLE:
            raise ValueError(f"JMESPath function {name!r} already exists")
        _REGISTRY[name] = FunctionSpec(name, tuple(arg_types), fn, variadic=variadic)
        _OPTIONS.clear()
        return fn

    return decorate


def registered_functions() -> dict[str, FunctionSpec]:
    """The custom functions by name."""
    return dict(_REGISTRY)


def options() -> jmespath.Options:
    """JMESPath options carrying every registered function (rebuilt after a registration)."""
    if not _OPTIONS:
        methods: dict[str, Any] = {}
        for spec in _REGISTRY.values():

            def method(self: Any, *args: Any, _fn: Callable[..., Any] = spec.fn) -> Any:
                return _fn(*args)

            methods[f"_func_{spec.name}"] = jp_functions.signature(*spec.signature())(method)
        functions_class = type("TradelaneFunctions", (jp_functions.Functions,), methods)
        _OPTIONS.append(jmespath.Options(custom_functions=functions_class()))
    return _OPTIONS[0]


@contextmanager
def document_root(document: Any) -> Iterator[None]:
    """Make ``root()`` answer with ``document`` inside the block."""
    token = _ROOT.set(document)
    scopes = _SCOPES.set(())
    try:
        yield
    finally:
        _SCOPES.reset(scopes)
        _ROOT.reset(token)


@contextmanager
def element_scope(element: Any) -> Iterator[None]:
    """Evaluate the block inside ``element`` of an ``each`` (``parent()`` then names its encloser)."""
    token = _SCOPES.set((*_SCOPES.get(), element))
    try:
        yield
    finally:
        _SCOPES.reset(token)


_STR = ("string",)
_NUM = ("number",)
_STR_OR_NULL = ("string", "null")


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@register_function("upper", _STR_OR_NULL)
def _upper(s: str | None) -> str | None:
    return None if s is None else s.upper()


@register_function("lower", _STR_OR_NULL)
def _lower(s: str | None) -> str | None:
    return None if s is None else s.lower()


@register_function("trim", _STR_OR_NULL)
def _trim(s: str | None) -> str | None:
    return None if s is None else s.strip()


@register_function("split", _STR_OR_NULL, _STR)
def _split(s: str | None, sep: str) -> list[str] | None:
    return None if s is None else s.split(sep)


@register_function("replace", _STR_OR_NULL, _STR, _STR)
def _replace(s: str | None, old: str, new: str) -> str | None:
    return None if s is None else s.replace(old, new)


@register_function("substr", _STR_OR_NULL, _NUM, _NUM)
def _substr(s: str | None, start: float, length: float) -> str | None:
    return None if s is None else s[int(start) : int(start) + int(length)]


@register_function("zfill", ("string", "number", "null"), _NUM)
def _zfill(s: str | float | None, width: float) -> str | None:
    return None if s is None else _text(s).zfill(int(width))


@register_function("concat", ("string", "number", "null"), ("string", "number", "null"), variadic=True)
def _concat(*parts: Any) -> str:
    return "".join(_text(p) for p in parts if p is not None)


@register_function("get", ("object", "null"), _STR)
def _get(obj: dict[str, Any] | None, key: str) -> Any:
    return None if obj is None else obj.get(key)


@register_function("root")
def _root() -> Any:
    return _ROOT.get()


@register_function("parent")
def _parent() -> Any:
    scopes = _SCOPES.get()
    return scopes[-2] if len(scopes) >= 2 else _ROOT.get()
