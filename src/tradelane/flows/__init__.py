"""Business-flow runtime: exceptions, SLA timers, system-of-record conflicts, the flow catalogue and
scheduled batch runs. Services only: persistence comes through :mod:`tradelane.ports.flows`."""

from tradelane.flows.catalogue import describe, next_run
from tradelane.flows.conflicts import ConflictService, Decision
from tradelane.flows.exceptions import ExceptionService
from tradelane.flows.runtime import FlowRuntime, RuntimeConfig
from tradelane.flows.scheduler import BatchJob, BatchScheduler
from tradelane.flows.sla import SlaEngine
from tradelane.flows.spec import FlowSpec, SlaSpec, parse_duration

__all__ = [
    "BatchJob",
    "BatchScheduler",
    "ConflictService",
    "Decision",
    "ExceptionService",
    "FlowRuntime",
    "FlowSpec",
    "RuntimeConfig",
    "SlaEngine",
    "SlaSpec",
    "describe",
    "next_run",
    "parse_duration",
]
