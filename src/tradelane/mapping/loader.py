"""Finding and loading partner mapping files: a path, a partner in a mappings directory, or a template.

Templates for the reference partner kinds ship with Tradelane under ``tradelane/mapping/templates/<name>/``:
``mapping.yaml``, ``samples/*.json`` (real-shaped partner documents and canonical events) and ``xref.yaml``
(the cross references the samples need). :func:`template_names` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from tradelane.core.errors import ConfigError
from tradelane.mapping.spec import PartnerMapping, parse_mapping
from tradelane.ports.xref import XrefEntry

__all__ = [
    "MAPPING_FILE",
    "find_mapping",
    "load_mapping",
    "parse_xref_seed",
    "template_dir",
    "template_names",
]

#: the mapping file's name inside a partner or template folder
MAPPING_FILE = "mapping.yaml"


def _templates() -> Traversable:
    return resources.files("tradelane.mapping").joinpath("templates")


def template_names() -> list[str]:
    """The shipped templates, e.g. ``wms-rest``, ``carrier-webhook``."""
    return sorted(
        p.name.replace("_", "-") for p in _templates().iterdir() if p.is_dir() and p.joinpath(MAPPING_FILE).is_file()
    )


def template_dir(name: str) -> Traversable:
    """The folder of template ``name`` (``wms-rest`` or ``wms_rest``).

    :raises ConfigError: for an unknown template
    """
    folder = _templates().joinpath(name.replace("-", "_"))
    if not folder.joinpath(MAPPING_FILE).is_file():
        raise ConfigError(f"no template {name!r}; templates: {', '.join(template_names())}")
    return folder


def find_mapping(partner: str, mappings_dir: Path | None = None) -> Traversable:
    """Where the mapping for ``partner`` is: a file path, ``<dir>/<partner>.yaml``,
    ``<dir>/<partner>/mapping.yaml``, or a shipped template name — first found wins.

    :raises ConfigError: when none exists
    """
    as_path = Path(partner)
    if as_path.suffix in (".yaml", ".yml") and as_path.is_file():
        return as_path
    if as_path.is_dir() and (as_path / MAPPING_FILE).is_file():
        return as_path / MAPPING_FILE
    if mappings_dir is not None:
        for candidate in (mappings_dir / f"{partner}.yaml", mappings_dir / partner / MAPPING_FILE):
            if candidate.is_file():
                return candidate
    try:
        return template_dir(partner).joinpath(MAPPING_FILE)
    except ConfigError:
        where = f" in {mappings_dir}" if mappings_dir else ""
        raise ConfigError(f"no mapping for partner {partner!r}{where}, and no template of that name; "
                          f"templates: {', '.join(template_names())}") from None


def load_mapping(partner: str, mappings_dir: Path | None = None) -> PartnerMapping:
    """Find (see :func:`find_mapping`), read and check a mapping.

    :raises ConfigError: when it cannot be found or is invalid (the message names key and line)
    """
    source = find_mapping(partner, mappings_dir)
    try:
        return parse_mapping(source.read_text(encoding="utf-8"))
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc


def parse_xref_seed(text: str, *, tenant: str, partner: str) -> list[XrefEntry]:
    """Cross references from YAML/JSON: a list of ``{kind, partner_value, canonical_id, odoo_id?}``.

    :raises ConfigError: naming the offending entry
    """
    try:
        rows: Any = yaml.safe_load(text) or []
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}") from exc
    if not isinstance(rows, list):
        raise ConfigError("an xref file is a list of {kind, partner_value, canonical_id, odoo_id}")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or not all(
            isinstance(row.get(k), str | int) for k in ("kind", "partner_value", "canonical_id")
        ):
            raise ConfigError("needs kind, partner_value and canonical_id", key=f"[{i}]")
        odoo = row.get("odoo_id")
        if odoo is not None and not isinstance(odoo, int):
            raise ConfigError("odoo_id is a number", key=f"[{i}].odoo_id")
        out.append(XrefEntry(tenant, str(row.get("partner", partner)), str(row["kind"]), str(row["partner_value"]),
                             str(row["canonical_id"]), odoo))
    return out
