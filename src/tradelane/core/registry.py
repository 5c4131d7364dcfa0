"""The one registry of versioned wire contracts: event type name → payload model.

Every event type is named ``tradelane.<entity>.<verb>.v<N>`` and registered exactly once with the pydantic
model of its ``data`` and a docstring saying when it is emitted. Nothing else in Tradelane invents type
names: ingest validates against this registry, ``tradelane schema export`` writes it out, and connectors map
to and from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel, create_model

from tradelane.core.envelope import CloudEvent

__all__ = ["EVENT_TYPE_PATTERN", "EventType", "EventTypeRegistry", "registry"]

#: the shape every event type name must have
EVENT_TYPE_PATTERN = re.compile(r"^tradelane\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.v[1-9][0-9]*$")


@dataclass(frozen=True)
class EventType:
    """One registered event type."""

    #: full type name, e.g. ``tradelane.shipment.shipped.v1``
    name: str
    #: pydantic model of the event's ``data``
    model: type[BaseModel]
    #: when the event is emitted and what it means
    doc: str
    #: the JSON field of ``data`` that holds the aggregate id (becomes ``partitionkey`` when absent)
    key_field: str | None = None

    @property
    def entity(self) -> str:
        return self.name.split(".")[1]

    @property
    def verb(self) -> str:
        return self.name.split(".")[2]

    @property
    def version(self) -> int:
        return int(self.name.rsplit(".v", 1)[1])


class EventTypeRegistry:
    """A mapping of event type names to :class:`EventType`; registration is checked."""

    def __init__(self) -> None:
        self._types: dict[str, EventType] = {}
        self._typed: dict[str, type[CloudEvent]] = {}

    def register(
        self, name: str, model: type[BaseModel], doc: str, *, key_field: str | None = None
    ) -> EventType:
        """Register ``name`` with its payload ``model``; a name may be registered once."""
        if not EVENT_TYPE_PATTERN.match(name):
            raise ValueError(f"event type {name!r} must look like tradelane.<entity>.<verb>.v<N>")
        if name in self._types:
            raise ValueError(f"event type {name!r} is already registered")
        if not doc or not doc.strip():
            raise ValueError(f"event type {name!r} needs a docstring")
        et = EventType(name=name, model=model, doc=doc.strip(), key_field=key_field)
        self._types[name] = et
        return et

    def get(self, name: str) -> EventType | None:
        return self._types.get(name)

    def typed_envelope(self, name: str) -> type[CloudEvent] | None:
        """A CloudEvent model whose ``data`` is the registered payload model of ``name`` (cached).

        Validating through it checks the envelope and the payload in one pass.
        """
        typed = self._typed.get(name)
        if typed is None:
            et = self._types.get(name)
            if et is None:
                return None
            typed = create_model(
                f"CloudEvent_{et.entity}_{et.verb}_v{et.version}",
                __base__=CloudEvent,
                data=(et.model, ...),
            )
            self._typed[name] = typed
        return typed

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[EventType]:
        return iter(sorted(self._types.values(), key=lambda t: t.name))

    def __len__(self) -> int:
        return len(self._types)

    def names(self) -> list[str]:
        return sorted(self._types)


#: the process-wide registry; ``tradelane.core.catalog`` fills it on import
registry = EventTypeRegistry()
