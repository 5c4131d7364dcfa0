"""Logs: one JSON object per line on stderr, stdlib and structlog alike, with trace and correlation ids."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator

import orjson
import pytest
import structlog
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tradelane.observability import logging as obs_logging
from tradelane.observability import tracing
from tradelane.settings import ObservabilitySettings


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    yield buf
    obs_logging.reset()
    tracing.shutdown()


def _lines(buf: io.StringIO) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in buf.getvalue().splitlines()]


def test_stdlib_and_structlog_lines_are_json_with_trace_and_correlation_ids(stream: io.StringIO) -> None:
    exporter = InMemorySpanExporter()
    tracing.configure(ObservabilitySettings(), exporter=exporter)
    obs_logging.configure(ObservabilitySettings(log_format="json", log_level="INFO"), stream=stream)
    token = obs_logging.bind_correlation("corr-42")
    try:
        with tracing.span("work") as sp:
            assert sp is not None
            logging.getLogger("tradelane.delivery").warning("delivery %s failed", "dlv_1")
            structlog.get_logger("tradelane.flows").info("sla breached", flow="o2s")
            logging.getLogger("tradelane.delivery").debug("below the level: dropped")
    finally:
        obs_logging.correlation_id.reset(token)
    logging.getLogger("tradelane").info("outside any span")
    (work,) = exporter.get_finished_spans()
    trace_id, span_id = f"{work.context.trace_id:032x}", f"{work.context.span_id:016x}"
    first, second, third = _lines(stream)
    assert first["message"] == "delivery dlv_1 failed"
    assert first["level"] == "warning" and first["logger"] == "tradelane.delivery"
    assert (first["trace_id"], first["span_id"], first["correlation_id"]) == (trace_id, span_id, "corr-42")
    assert str(first["timestamp"]).endswith("Z")
    assert second["message"] == "sla breached" and second["flow"] == "o2s" and second["logger"] == "tradelane.flows"
    assert second["trace_id"] == trace_id
    assert third["message"] == "outside any span"
    assert "trace_id" not in third and "correlation_id" not in third


def test_exceptions_are_rendered_into_the_line(stream: io.StringIO) -> None:
    obs_logging.configure(stream=stream)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("tradelane").exception("it failed")
    (line,) = _lines(stream)
    assert line["level"] == "error"
    assert "ValueError: boom" in str(line["exception"])


def test_text_format_and_reconfiguring_replaces_the_handler(stream: io.StringIO) -> None:
    other = io.StringIO()
    obs_logging.configure(stream=other)
    obs_logging.configure(ObservabilitySettings(log_format="text"), stream=stream)
    logging.getLogger("tradelane.api").warning("plain words")
    assert other.getvalue() == ""  # the first handler is gone
    text = stream.getvalue()
    assert "plain words" in text and "tradelane.api" in text
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(text.splitlines()[0])


def test_a_process_writes_json_lines_to_stderr() -> None:
    code = """
import logging
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from tradelane.observability import logging as obs_logging, tracing
from tradelane.settings import ObservabilitySettings
tracing.configure(ObservabilitySettings(), exporter=InMemorySpanExporter())
obs_logging.configure(ObservabilitySettings())
with tracing.span("job") as sp:
    print(format(sp.get_span_context().trace_id, "032x"))
    logging.getLogger("tradelane.test").info("hello %s", "stderr")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    trace_id = proc.stdout.strip()
    (line,) = [orjson.loads(x) for x in proc.stderr.splitlines() if x.strip()]
    assert line["message"] == "hello stderr" and line["trace_id"] == trace_id and line["logger"] == "tradelane.test"


def test_the_default_handler_follows_stderr_after_it_was_swapped_and_closed(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    """configure() under a swapped stderr (a CLI under a test runner) must not bind that stream for good."""
    swapped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", swapped)
    obs_logging.configure(ObservabilitySettings(log_format="json"))
    logging.getLogger("tradelane").warning("while swapped")
    swapped.close()
    monkeypatch.setattr(sys, "stderr", stream)
    logging.getLogger("tradelane").warning("after the swap")
    (line,) = _lines(stream)
    assert line["message"] == "after the swap" and "Logging error" not in stream.getvalue()
