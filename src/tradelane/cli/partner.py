"""``tradelane partner``: onboard a partner from a template, and check it before go-live.

``partner new NAME --template wms-rest`` writes ``DIR/NAME/``:

* ``mapping.yaml`` — the template's mapping, renamed to the partner (edit it to the partner's documents);
* ``samples/*.json`` — real-shaped partner documents (inbound) and canonical events (outbound);
* ``expected/*.json`` — what each sample maps to today (the contract the partner is held to);
* ``xref.yaml`` — the cross references the samples need (load them with ``tradelane mapping xref set``);
* ``config.yaml`` — the hub configuration for the partner: endpoint, routes and webhook sender;
* ``credentials.env`` — generated webhook secrets (mode 0600, git-ignored) and the connector's variables;
* ``README.md`` — the API key to create and the next steps;
* ``test_partner_contract_<name>.py`` — a pytest contract test: every sample maps to its expected result.

Everything is written to a temporary folder first and moved into place at the end: nothing half-written.

``partner check NAME`` loads the mapping and the config snippet, maps every sample (printing each problem as
``path  [rule]  value=…  message``), compares the results with ``expected/`` and runs the contract test.
Exit codes: 0 all good, 1 a check failed, 2 the partner folder or an argument is unusable.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from tradelane.core.errors import ConfigError, MappingError
from tradelane.delivery.signing import generate_secret
from tradelane.mapping.engine import format_problems, to_canonical, to_partner
from tradelane.mapping.loader import MAPPING_FILE, load_mapping, parse_xref_seed, template_dir, template_names
from tradelane.mapping.spec import PartnerMapping, parse_mapping
from tradelane.testing.xref import InMemoryXrefStore

__all__ = ["TEMPLATE_CONNECTORS", "partner_app"]

partner_app = typer.Typer(help="Onboard partners: create one from a template, check it before go-live.",
                          no_args_is_help=True)

#: template → the built-in connector that runs it (its settings' environment prefix)
TEMPLATE_CONNECTORS = {
    "wms-rest": ("wms_rest", "TRADELANE_WMS_REST_"),
    "tms-rest": ("tms_rest", "TRADELANE_TMS_REST_"),
    "carrier-webhook": ("carrier_webhook", "TRADELANE_CARRIER_WEBHOOK_"),
    "yard": ("yard", "TRADELANE_YARD_"),
    "portal": ("portal_api", "TRADELANE_PORTAL_API_"),
}
#: what a partner name may look like (it becomes a folder, an endpoint, a hook and a route prefix)
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
#: the tenant the sample cross references are filed under while checking
CHECK_TENANT = "hub"
#: seconds the contract test may run
CONTRACT_TIMEOUT_S = 300

DirOpt = Annotated[Path, typer.Option("--dir", help="folder holding one sub-folder per partner")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[red]{message}[/red]")
    return typer.Exit(code)


def _env_name(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", name.upper())


def _contract_file(name: str) -> str:
    return f"test_partner_contract_{name.replace('-', '_')}.py"


# --- new ---------------------------------------------------------------------------------------------------


@partner_app.command("new")
def partner_new(
    name: Annotated[str, typer.Argument(help="the partner id, e.g. acme-wms (lower case, digits, hyphens)")],
    template: Annotated[str, typer.Option("--template", "-t", help="wms-rest, tms-rest, carrier-webhook, yard or "
                                                                   "portal")],
    directory: DirOpt = Path("partners"),
    force: Annotated[bool, typer.Option("--force", help="replace an existing partner folder")] = False,
) -> None:
    """Write a partner's onboarding kit to DIR/NAME from TEMPLATE."""
    if not NAME_PATTERN.fullmatch(name):
        raise _fail(f"partner name {name!r}: use 2-63 lower-case letters, digits and hyphens, starting with a "
                    "letter or digit")
    if template not in template_names():
        raise _fail(f"--template {template!r}: no such template; templates: {', '.join(template_names())}")
    target = directory / name
    if target.exists() and not force:
        raise _fail(f"{target} already exists (use --force to replace it)")
    source = template_dir(template)
    text = source.joinpath(MAPPING_FILE).read_text(encoding="utf-8")
    mapping_text = _renamed(text, name, template)
    mapping = parse_mapping(mapping_text)
    samples = {p.name: p.read_text(encoding="utf-8") for p in source.joinpath("samples").iterdir()
               if p.name.endswith(".json")}
    xref_text = source.joinpath("xref.yaml").read_text(encoding="utf-8")
    expected = asyncio.run(_expected(mapping, samples, xref_text))

    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=directory))
    try:
        (staging / "samples").mkdir()
        (staging / "expected").mkdir()
        (staging / MAPPING_FILE).write_text(mapping_text, encoding="utf-8")
        for sample, body in sorted(samples.items()):
            (staging / "samples" / sample).write_text(body, encoding="utf-8")
            (staging / "expected" / sample).write_text(_dump(expected[sample]), encoding="utf-8")
        (staging / "xref.yaml").write_text(xref_text, encoding="utf-8")
        (staging / "config.yaml").write_text(_config(name, mapping, template, target.resolve()), encoding="utf-8")
        credentials = staging / "credentials.env"
        fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(_credentials(name, template, target.resolve()))
        (staging / ".gitignore").write_text("credentials.env\n", encoding="utf-8")
        (staging / "README.md").write_text(_readme(name, template, mapping, target), encoding="utf-8")
        (staging / _contract_file(name)).write_text(_CONTRACT_TEST, encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    console = Console(highlight=False)
    console.print(f"partner {name} from template {template} written to {target}/")
    console.print(f"  {len(samples)} samples, {len(mapping.inbound)} inbound and {len(mapping.outbound)} outbound "
                  "operations; secrets in credentials.env (mode 0600, git-ignored)")
    console.print(f"  next: edit {target}/{MAPPING_FILE} and the samples, then "
                  f"`tradelane partner check {name} --dir {directory}`")


def _renamed(text: str, name: str, template: str) -> str:
    out, count = re.subn(r"(?m)^partner:.*$", f"partner: {name}", text, count=1)
    if count != 1:
        raise ConfigError(f"template {template} has no partner: line")
    out = re.sub(r"(?m)^version:.*$", "version: 1", out, count=1)
    return f"# Mapping of partner {name}, started from template {template}. Bump version: on every change.\n" + out


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


async def _map_sample(mapping: PartnerMapping, document: Any, xrefs: InMemoryXrefStore) -> Any:
    """What a sample maps to: the events (inbound) or the partner document (outbound), as plain JSON."""
    if isinstance(document, dict) and "specversion" in document and str(document.get("type", "")).startswith(
        "tradelane."
    ):
        out = await to_partner(mapping, document.get("data") or {}, event_type=document["type"], xrefs=xrefs,
                               tenant=CHECK_TENANT)
        return {"operation": out.operation, "document": out.document}
    res = await to_canonical(mapping, document, xrefs=xrefs, tenant=CHECK_TENANT)
    return {"operation": res.operation, "events": [e.to_wire() for e in res.events]}


async def _expected(mapping: PartnerMapping, samples: dict[str, str], xref_text: str) -> dict[str, Any]:
    xrefs = InMemoryXrefStore(parse_xref_seed(xref_text, tenant=CHECK_TENANT, partner=mapping.partner))
    return {name: await _map_sample(mapping, json.loads(body), xrefs) for name, body in samples.items()}


def _config(name: str, mapping: PartnerMapping, template: str, target: Path) -> str:
    """The partner's hub configuration; its hook maps the partner's own documents through its connector and
    this folder's mapping file (``POST /v1/hooks/<name>``)."""
    env = _env_name(name)
    doc: dict[str, Any] = {}
    if mapping.outbound:
        doc["endpoints"] = {name: {
            "kind": "http",
            "url": f"https://{name}.example.invalid/",
            "secrets_env": f"TRADELANE_PARTNER_{env}_SIGNING_SECRET",
            "timeout_s": 15,
            "max_in_flight": 8,
        }}
        doc["routes"] = [{
            "name": f"{name}-{op.name.replace('_', '-')}",
            "events": [op.event],
            "destination": name,
            "ordered": True,
        } for op in mapping.outbound.values()]
    if mapping.inbound:
        doc["hooks"] = {name: {"scheme": "standard", "secrets_env": f"TRADELANE_PARTNER_{env}_WEBHOOK_SECRET",
                               "tenant": name, "tolerance_s": 300,
                               "connector": TEMPLATE_CONNECTORS[template][0],
                               "mapping": str(target / MAPPING_FILE)}}
    header = (f"# Hub configuration for partner {name}: merge these sections into your tradelane.yaml.\n"
              "# Replace the endpoint url with the partner's; secrets stay in credentials.env (never here).\n")
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def _credentials(name: str, template: str, target: Path) -> str:
    env = _env_name(name)
    webhook, signing = generate_secret(), generate_secret()
    connector, prefix = TEMPLATE_CONNECTORS[template]
    lines = [
        f"# Secrets of partner {name}. Keep this file out of version control; load it into the hub's environment.",
        "# The partner signs what it sends us with this secret (give it to them over a secure channel):",
        f"TRADELANE_PARTNER_{env}_WEBHOOK_SECRET={webhook}",
        "# We sign what we send the partner with this one (they verify with it):",
        f"TRADELANE_PARTNER_{env}_SIGNING_SECRET={signing}",
        f"# The {connector} connector reads these:",
        f"{prefix}WEBHOOK_SECRETS={webhook}",
        f"{prefix}MAPPING_FILE={target / MAPPING_FILE}",
        f"{prefix}TENANT={name}",
    ]
    if template != "carrier-webhook":
        lines += [f"{prefix}BASE_URL=https://{name}.example.invalid",
                  "# the API key the partner issued to us (fill in):",
                  f"{prefix}API_KEY="]
    return "\n".join(lines) + "\n"


def _readme(name: str, template: str, mapping: PartnerMapping, target: Path) -> str:
    inbound = ", ".join(mapping.inbound) or "none"
    outbound = ", ".join(mapping.outbound) or "none"
    return f"""# Partner {name}

Started from template `{template}`. Inbound operations: {inbound}. Outbound operations: {outbound}.

1. Make `mapping.yaml` fit the partner's documents; replace `samples/` with real (anonymised) documents.
2. Map each one: `tradelane mapping test {target / MAPPING_FILE} samples/FILE.json --xref-file xref.yaml`.
3. When the results are right, accept them: `tradelane partner check {name} --dir {target.parent} --update-expected`.
4. Load the cross references: `tradelane mapping xref set {name} KIND PARTNER_VALUE CANONICAL_ID [--odoo-id N]`.
5. Merge `config.yaml` into the hub's config and run `tradelane config check`.
6. Load `credentials.env` into the hub's environment; send the partner its webhook secret securely.
7. If the partner calls the hub's API (a portal posting orders), create its API key — printed once:

       tradelane keys create {name} --tenant {name}

8. `tradelane partner check {name} --dir {target.parent}` must pass; then go through docs/onboarding.md.
"""


# --- check -------------------------------------------------------------------------------------------------


@dataclass
class _Report:
    failures: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


@partner_app.command("check")
def partner_check(
    name: Annotated[str, typer.Argument(help="the partner id (a folder under --dir)")],
    directory: DirOpt = Path("partners"),
    update_expected: Annotated[bool, typer.Option(
        "--update-expected", help="accept today's mapping results as the new expected results")] = False,
    contract: Annotated[bool, typer.Option("--contract/--no-contract", help="also run the contract test")] = True,
) -> None:
    """Check partner NAME: mapping, config snippet, every sample against its expected result, contract test."""
    folder = directory / name
    if not (folder / MAPPING_FILE).is_file():
        raise _fail(f"{folder}: no {MAPPING_FILE} (create the partner with `tradelane partner new`)")
    try:
        mapping = load_mapping(str(folder / MAPPING_FILE))
    except ConfigError as exc:
        raise _fail(f"mapping: {exc}", 1) from exc
    report = _Report()
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if mapping.partner != name:
        report.failures.append(f"{MAPPING_FILE}: partner is {mapping.partner!r}, expected {name!r}")
    settings = _check_config(folder, report)
    asyncio.run(_check_samples(folder, mapping, report, update_expected))
    if settings is not None and not update_expected:
        asyncio.run(_check_hooks(folder, settings, mapping, report))
    if contract and not report.failures:
        _run_contract(folder, name, report)
    for line in report.lines:
        out.print(line, markup=False)
    for line in report.failures:
        err.print(line, markup=False)
    if report.failures:
        failed = sum(not line.startswith(" ") for line in report.failures)  # indented lines are details
        err.print(f"[red]partner {name}: {failed} check(s) failed[/red]")
        raise typer.Exit(1)
    out.print(f"partner {name}: all checks passed (mapping {mapping.ref}, digest {mapping.ref.digest})")


def _check_config(folder: Path, report: _Report) -> Any:
    from tradelane.settings import load_settings

    path = folder / "config.yaml"
    if not path.is_file():
        report.failures.append("config.yaml: missing")
        return None
    try:
        settings = load_settings(path, data_dir=folder / ".check")
    except ConfigError as exc:
        report.failures.append(f"config.yaml: {exc}")
        return None
    report.lines.append("✓ config.yaml: endpoint, routes and hook are valid")
    return settings


async def _check_hooks(folder: Path, settings: Any, mapping: PartnerMapping, report: _Report) -> None:
    """Each native hook of ``config.yaml`` built exactly as the hub builds it (its connector and mapping
    file), fed every inbound sample as ``POST /v1/hooks/<name>`` would: it must use this folder's mapping and
    give the same events as the mapping alone."""
    from tradelane.connectors.registry import build_partner_hooks

    native = {name: cfg for name, cfg in settings.hooks.items() if cfg.connector or cfg.mapping}
    if not native:
        return
    for name, cfg in native.items():
        where = f"config.yaml hooks.{name}"
        try:  # the hook looks references up under its own tenant
            seed = parse_xref_seed((folder / "xref.yaml").read_text(encoding="utf-8"), tenant=cfg.tenant,
                                   partner=mapping.partner)
            hook = build_partner_hooks({name: cfg}, InMemoryXrefStore(seed))[name]
        except (OSError, ConfigError) as exc:
            report.failures.append(f"{where}: {exc}")
            continue
        if hook.mapping.ref.digest != mapping.ref.digest:
            report.failures.append(f"{where}: maps with {hook.mapping.ref} from another file than this folder's "
                                   f"{MAPPING_FILE} ({mapping.ref}); set hooks.{name}.mapping to it")
            continue
        taken = 0
        for path in sorted((folder / "samples").glob("*.json")):
            body = path.read_bytes()
            try:
                document = json.loads(body)
            except ValueError:
                continue  # reported by the sample check
            if isinstance(document, dict) and "specversion" in document:
                continue  # an outbound sample
            try:
                direct = await to_canonical(mapping, document, xrefs=InMemoryXrefStore(seed), tenant=cfg.tenant)
            except MappingError:
                continue  # the sample itself does not map: reported by the sample check
            try:
                parsed = await hook.parse({"content-type": "application/json"}, body)
            except MappingError as exc:
                report.failures.append(f"{where}: samples/{path.name}: {exc}")
                continue
            if [e.to_wire() for e in parsed.events] != [e.to_wire() for e in direct.events]:
                report.failures.append(f"{where}: samples/{path.name} maps differently through the hook")
                continue
            taken += 1
        report.lines.append(f"✓ {where}: {hook.__class__.__name__} takes {taken} inbound sample(s) "
                            f"(signature {cfg.scheme}, secret ${cfg.secrets_env} or the vault)")


async def _check_samples(folder: Path, mapping: PartnerMapping, report: _Report, update: bool) -> None:
    try:
        seed = parse_xref_seed((folder / "xref.yaml").read_text(encoding="utf-8"), tenant=CHECK_TENANT,
                               partner=mapping.partner)
    except (OSError, ConfigError) as exc:
        report.failures.append(f"xref.yaml: {exc}")
        return
    xrefs = InMemoryXrefStore(seed)
    samples = sorted((folder / "samples").glob("*.json"))
    if not samples:
        report.failures.append("samples/: no *.json samples")
    covered: set[str] = set()
    for path in samples:
        rel = f"samples/{path.name}"
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            report.failures.append(f"{rel}: not readable JSON: {exc}")
            continue
        try:
            result = await _map_sample(mapping, document, xrefs)
        except MappingError as exc:
            report.failures.append(f"{rel}: {exc}")
            report.failures.extend(f"  {rel}: {line}" for line in format_problems(exc))
            continue
        covered.add(result["operation"])
        expected_path = folder / "expected" / path.name
        if update:
            expected_path.parent.mkdir(exist_ok=True)
            expected_path.write_text(_dump(result), encoding="utf-8")
            report.lines.append(f"✓ {rel} → {result['operation']} (expected result updated)")
            continue
        if not expected_path.is_file():
            report.failures.append(f"{rel}: no expected/{path.name} (run with --update-expected to accept)")
            continue
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        difference = _first_difference(expected, json.loads(_dump(result)))
        if difference is not None:
            report.failures.append(f"{rel}: differs from expected/{path.name} at {difference}")
            continue
        report.lines.append(f"✓ {rel} → {result['operation']}")
    missing = [op for op in mapping.operations if op not in covered]
    if missing and samples:
        report.lines.append(f"! no sample exercises: {', '.join(missing)}")


def _first_difference(expected: Any, actual: Any, path: str = "") -> str | None:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                return f"{where} (missing; expected {expected[key]!r})"
            if key not in expected:
                return f"{where} (unexpected {actual[key]!r})"
            found = _first_difference(expected[key], actual[key], where)
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{path} ({len(actual)} items; expected {len(expected)})"
        for i, (a, b) in enumerate(zip(expected, actual, strict=True)):
            found = _first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if expected == actual else f"{path} ({actual!r}; expected {expected!r})"


def _run_contract(folder: Path, name: str, report: _Report) -> None:
    folder = folder.resolve()
    test = folder / _contract_file(name)
    if not test.is_file():
        report.failures.append(f"{test.name}: missing")
        return
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(folder),
           "-c", os.devnull, str(test)]
    try:
        done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=CONTRACT_TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired:
        report.failures.append(f"{test.name}: did not finish in {CONTRACT_TIMEOUT_S} s")
        return
    summary = (done.stdout.strip().splitlines() or done.stderr.strip().splitlines() or ["(no output)"])[-1]
    if done.returncode != 0:
        report.failures.append(f"{test.name}: {summary}")
        report.failures.extend(f"  {line}" for line in done.stdout.splitlines() if line.startswith(("E ", "FAILED")))
        return
    report.lines.append(f"✓ {test.name}: {summary}")


#: the contract test written into every partner folder: independent of ``partner check``'s own code
_CONTRACT_TEST = '''"""Contract test of this partner: every sample maps, without problems, to exactly its expected result.

Generated by `tradelane partner new`; run it with `pytest` (or `tradelane partner check`). When a mapping
change is intended, accept the new results with `tradelane partner check NAME --update-expected`.
"""

import asyncio
import json
from pathlib import Path

import pytest

from tradelane.core.registry import registry
from tradelane.mapping import load_mapping, parse_xref_seed, to_canonical, to_partner
from tradelane.testing.xref import InMemoryXrefStore

HERE = Path(__file__).parent
MAPPING = load_mapping(str(HERE / "mapping.yaml"))
TENANT = "hub"


def _xrefs():
    text = (HERE / "xref.yaml").read_text(encoding="utf-8")
    return InMemoryXrefStore(parse_xref_seed(text, tenant=TENANT, partner=MAPPING.partner))


async def _map(document):
    if "specversion" in document and str(document.get("type", "")).startswith("tradelane."):
        out = await to_partner(MAPPING, document.get("data") or {}, event_type=document["type"],
                               xrefs=_xrefs(), tenant=TENANT)
        return {"operation": out.operation, "document": out.document}
    res = await to_canonical(MAPPING, document, xrefs=_xrefs(), tenant=TENANT)
    return {"operation": res.operation, "events": [e.to_wire() for e in res.events]}


@pytest.mark.parametrize("sample", sorted(p.name for p in (HERE / "samples").glob("*.json")))
def test_sample_maps_to_its_expected_result(sample):
    document = json.loads((HERE / "samples" / sample).read_text(encoding="utf-8"))
    result = json.loads(json.dumps(asyncio.run(_map(document)), sort_keys=True))
    expected = json.loads((HERE / "expected" / sample).read_text(encoding="utf-8"))
    assert result == expected
    for event in result.get("events", []):
        registry.typed_envelope(event["type"]).model_validate(event)  # a valid canonical event
        assert event["source"] == f"/partners/{MAPPING.partner}"


def test_every_operation_has_a_sample():
    covered = set()
    for path in (HERE / "samples").glob("*.json"):
        covered.add(asyncio.run(_map(json.loads(path.read_text(encoding="utf-8"))))["operation"])
    assert set(MAPPING.operations) <= covered, f"no sample for {set(MAPPING.operations) - covered}"
'''
