"""A place known only by its city (an X12 N4 with no N3, an EDIFACT NAD with no street) keeps its address:
the canonical Address has an optional street line, and writing it back leaves the street segment out."""

from __future__ import annotations

from pathlib import Path

from tradelane.edi.partners import builtin_partners
from tradelane.edi.service import UploadStatus, handle_upload, render_events

SAMPLE = Path(__file__).parents[3] / "src" / "tradelane" / "connectors" / "x12" / "samples" / "204_5010.x12"


def _without_n3(text: str, street: str) -> str:
    lines = text.splitlines(keepends=True)
    n3 = next(i for i, line in enumerate(lines) if line.startswith(f"N3*{street}"))
    del lines[n3]
    se = next(i for i, line in enumerate(lines) if line.startswith("SE*"))
    _, count, control = lines[se].rstrip("~\r\n ").split("*")
    lines[se] = lines[se].replace(f"SE*{count}*{control}", f"SE*{int(count) - 1}*{control}")
    return "".join(lines)


def _locations(data: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "location_id" in node and "name" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found


def test_x12_n4_without_n3_keeps_the_city_and_round_trips() -> None:
    partner = builtin_partners()["swift"]
    text = _without_n3(SAMPLE.read_text(encoding="latin-1"), "2200 E CARSON ST")
    result = handle_upload(partner, text.encode("latin-1"), allow_outbound=True)
    assert result.status is UploadStatus.ACCEPTED, [p.describe() for p in result.problems]
    (event,) = result.events
    addresses = [loc["address"] for loc in _locations(event.data) if loc.get("address")]
    city_only = [a for a in addresses if isinstance(a, dict) and a.get("line1") is None]
    assert city_only and city_only[0]["city"] == "CARSON" and city_only[0]["postal_code"] == "90810"
    assert any(isinstance(a, dict) and a.get("line1") == "8801 W INDIAN SCHOOL RD" for a in addresses)

    rendered = render_events(list(result.events), partner, "204", control_number=7)
    assert "N3*2200 E CARSON ST" not in rendered and "N4*CARSON*CA*90810*US" in rendered
    back = handle_upload(partner, rendered.encode("latin-1"), allow_outbound=True)
    assert back.status is UploadStatus.ACCEPTED
    assert back.events[0].data == event.data
