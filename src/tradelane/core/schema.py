"""JSON Schema of the wire contracts: one schema per registered event type, plus the CloudEvent envelope.

:func:`event_schemas` builds the documents (pure); :func:`export_schemas` writes them, one file per event type
named ``<type>.json`` and ``envelope.json``, for partners who validate before sending and for
``tradelane schema export``. Each event schema describes the event's ``data``; its ``description`` is the
registered doc and ``x-tradelane-key-field`` names the aggregate id field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tradelane.core import catalog as _catalog  # noqa: F401  (fills the registry)
from tradelane.core.envelope import CloudEvent
from tradelane.core.registry import EventTypeRegistry, registry

__all__ = [
    "ENVELOPE_SCHEMA_FILE",
    "JSON_SCHEMA_DIALECT",
    "envelope_schema",
    "event_schemas",
    "export_schemas",
]

#: the JSON Schema dialect pydantic generates
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: file name of the envelope's schema
ENVELOPE_SCHEMA_FILE = "envelope.json"
#: indentation of written schema files (kept stable so diffs of exported schemas stay readable)
_JSON_INDENT = 2


def envelope_schema() -> dict[str, Any]:
    """The JSON Schema of the CloudEvent envelope."""
    schema = CloudEvent.model_json_schema()
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": ENVELOPE_SCHEMA_FILE, **schema}


def event_schemas(source: EventTypeRegistry = registry) -> dict[str, dict[str, Any]]:
    """Event type name → JSON Schema of its ``data``, for every type in ``source``."""
    out: dict[str, dict[str, Any]] = {}
    for event_type in source:
        schema = event_type.model.model_json_schema()
        schema.update(
            {
                "$schema": JSON_SCHEMA_DIALECT,
                "$id": f"{event_type.name}.json",
                "title": event_type.name,
                "description": event_type.doc,
            }
        )
        if event_type.key_field:
            schema["x-tradelane-key-field"] = event_type.key_field
        out[event_type.name] = schema
    return out


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(
        json.dumps(document, indent=_JSON_INDENT, ensure_ascii=False, sort_keys=True) + "\n", "utf-8"
    )
    return path


def export_schemas(directory: Path, source: EventTypeRegistry = registry) -> list[Path]:
    """Write ``<type>.json`` for every event type in ``source`` and ``envelope.json`` into ``directory``.

    :param directory: created when missing; existing files of the same names are replaced
    :returns: the paths written, event types in name order, the envelope last
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = [_write(directory / f"{name}.json", schema) for name, schema in event_schemas(source).items()]
    written.append(_write(directory / ENVELOPE_SCHEMA_FILE, envelope_schema()))
    return written
