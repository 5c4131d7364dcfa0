"""JSON Schema export: one file per event type plus the envelope, each validating the published examples.

The examples are checked against the *written* files, not the pydantic models, so a schema that drifted from
what ingest accepts would fail here. ``jsonschema`` is used when installed; a small checker of the keywords
pydantic emits runs always (and refuses keywords it does not know, so it cannot silently pass).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tradelane.core.envelope import CloudEvent
from tradelane.core.examples import EXAMPLES, example
from tradelane.core.registry import registry
from tradelane.core.schema import ENVELOPE_SCHEMA_FILE, export_schemas

#: keywords that only annotate and never constrain
_ANNOTATIONS = {
    "title",
    "description",
    "default",
    "$schema",
    "$id",
    "$defs",
    "x-tradelane-key-field",
    "examples",
}
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _problems(instance: Any, schema: dict[str, Any], root: dict[str, Any], path: str = "$") -> list[str]:
    """Violations of ``schema`` by ``instance`` (subset of JSON Schema 2020-12 that pydantic generates)."""
    out: list[str] = []
    for keyword, rule in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        if keyword == "$ref":
            target = root
            for part in rule.removeprefix("#/").split("/"):
                target = target[part]
            out += _problems(instance, target, root, path)
        elif keyword == "type":
            ok = isinstance(instance, _TYPES[rule]) and not (
                rule in {"integer", "number"} and isinstance(instance, bool)
            )
            if not ok:
                out.append(f"{path}: expected {rule}, got {type(instance).__name__}")
        elif keyword == "anyOf":
            if all(_problems(instance, option, root, path) for option in rule):
                out.append(f"{path}: matches no anyOf option")
        elif keyword == "enum" and instance not in rule:
            out.append(f"{path}: {instance!r} not in {rule}")
        elif keyword == "const" and instance != rule:
            out.append(f"{path}: {instance!r} != {rule!r}")
        elif keyword == "properties" and isinstance(instance, dict):
            for name, sub in rule.items():
                if name in instance:
                    out += _problems(instance[name], sub, root, f"{path}.{name}")
        elif keyword == "required" and isinstance(instance, dict):
            out += [f"{path}: missing {name}" for name in rule if name not in instance]
        elif keyword == "additionalProperties" and isinstance(instance, dict):
            extra = set(instance) - set(schema.get("properties", {}))
            if rule is False:
                out += [f"{path}: unexpected {name}" for name in sorted(extra)]
            elif isinstance(rule, dict):
                for name in extra:
                    out += _problems(instance[name], rule, root, f"{path}.{name}")
        elif keyword == "items" and isinstance(instance, list):
            for index, item in enumerate(instance):
                out += _problems(item, rule, root, f"{path}[{index}]")
        elif keyword == "minItems" and isinstance(instance, list) and len(instance) < rule:
            out.append(f"{path}: fewer than {rule} items")
        elif keyword == "minLength" and isinstance(instance, str) and len(instance) < rule:
            out.append(f"{path}: shorter than {rule}")
        elif keyword == "maxLength" and isinstance(instance, str) and len(instance) > rule:
            out.append(f"{path}: longer than {rule}")
        elif keyword == "pattern" and isinstance(instance, str) and not re.search(rule, instance):
            out.append(f"{path}: {instance!r} does not match {rule}")
        elif keyword in {"minimum", "maximum", "exclusiveMinimum"}:
            if isinstance(instance, int | float) and not isinstance(instance, bool):
                bad = {
                    "minimum": instance < rule,
                    "maximum": instance > rule,
                    "exclusiveMinimum": instance <= rule,
                }[keyword]
                if bad:
                    out.append(f"{path}: {instance} violates {keyword} {rule}")
        elif keyword == "format":
            if rule == "date-time" and isinstance(instance, str):
                try:
                    datetime.fromisoformat(instance)
                except ValueError:
                    out.append(f"{path}: {instance!r} is not a date-time")
            elif rule not in {"date-time", "uri"}:
                raise AssertionError(f"checker does not know format {rule!r}")
        elif keyword not in {
            "properties",
            "required",
            "additionalProperties",
            "items",
            "minItems",
            "minLength",
            "maxLength",
            "pattern",
            "enum",
            "const",
        }:
            raise AssertionError(f"checker does not know keyword {keyword!r}; extend it or use jsonschema")
    return out


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    directory = tmp_path_factory.mktemp("schemas") / "nested"
    return directory, export_schemas(directory)


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return loaded


def test_one_file_per_event_type_plus_envelope(exported: tuple[Path, list[Path]]) -> None:
    directory, written = exported
    expected = {f"{name}.json" for name in registry.names()} | {ENVELOPE_SCHEMA_FILE}
    assert {p.name for p in written} == expected
    assert {p.name for p in directory.iterdir()} == expected
    assert written[-1].name == ENVELOPE_SCHEMA_FILE


def test_event_schema_carries_doc_and_key_field(exported: tuple[Path, list[Path]]) -> None:
    directory, _ = exported
    for event_type in registry:
        schema = _load(directory / f"{event_type.name}.json")
        assert schema["description"] == event_type.doc
        assert schema["x-tradelane-key-field"] == event_type.key_field
        assert event_type.key_field in schema["required"]
        assert schema["additionalProperties"] is False


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_written_schema_validates_its_example(exported: tuple[Path, list[Path]], name: str) -> None:
    schema = _load(exported[0] / f"{name}.json")
    assert _problems(EXAMPLES[name], schema, schema) == []


def test_checker_catches_a_bad_payload(exported: tuple[Path, list[Path]]) -> None:
    name = "tradelane.shipment.shipped.v1"
    schema = _load(exported[0] / f"{name}.json")
    bad = example(name)
    del bad["shipped_at"]
    bad["shipment"]["mode"] = "teleport"
    bad["shipment"]["surprise"] = 1
    problems = _problems(bad, schema, schema)
    assert "$: missing shipped_at" in problems
    assert "$.shipment: unexpected surprise" in problems
    assert any(p.startswith("$.shipment.mode") for p in problems)


def test_envelope_schema_validates_a_wire_event(exported: tuple[Path, list[Path]]) -> None:
    schema = _load(exported[0] / ENVELOPE_SCHEMA_FILE)
    wire = CloudEvent(
        id="evt-1",
        source="/partners/rhenus",
        type="tradelane.shipment.delivered.v1",
        time=datetime.fromisoformat("2026-11-18T10:52:00+01:00"),
        partitionkey="shp_so0042_1",
        data=EXAMPLES["tradelane.shipment.delivered.v1"],
    ).to_wire()
    assert _problems(wire, schema, schema) == []
    assert _problems({**wire, "specversion": "0.3"}, schema, schema)


def test_schemas_validate_examples_with_jsonschema(exported: tuple[Path, list[Path]]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    for name, data in EXAMPLES.items():
        schema = _load(exported[0] / f"{name}.json")
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.Draft202012Validator(schema).validate(data)
