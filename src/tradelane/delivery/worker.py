"""The delivery worker: claim → send → decide → record, per lane, with leases, fencing and a shared breaker.

One worker process runs one :class:`Worker`. For each lane (critical, bulk) a claim loop leases due
deliveries up to the lane's free concurrency, each send runs as its own task, and finished results are
written by one completer task in batches (group commit: while one batch is written the next gathers).

* **Leases and fencing.** A claim leases a row for ``lease_s`` and bumps its fence; the result is applied
  only with the same fence. A worker killed mid-send leaves a lease that simply expires; another worker
  re-sends (the receiver dedupes on ``webhook-id`` = delivery id), so nothing is lost and effects stay single.
* **Retries** are decisions (:func:`tradelane.delivery.retry.decide`) stored as ``next_attempt_at``; nothing
  sleeps in memory.
* **Breaker** state lives on the endpoint's row, shared by all workers. Open endpoints are left out of
  claims until their probe time; then one worker wins the half-open probe by compare-and-set.
* **Head-of-line protection.** Each endpoint has a per-process in-flight cap and an optional rate limit; a
  slow or black-holed endpoint fills only its own slots, other endpoints and the other lane keep going.
* **Ordering** (routes with ``ordered: true``) is enforced by the claim query: only the oldest pending
  delivery per (destination, partition key) is claimable.
* **Wake-ups.** An embedded ingest commit calls :meth:`Worker.wake`, so new work is claimed at once; a
  recorded result wakes the lanes only when it can make work claimable (an ordered key's successor, a
  retry due before the next poll); a freed slot of a capped endpoint wakes its lane. Each claim is a write
  transaction, so a claim that came back short waits for one of these (or the poll tick) instead of
  claiming again, and a busy lane gathers a few freed slots into one claim.

Distributed mode adds a dispatch transport (NATS JetStream): the relay leases due deliveries and publishes
their ids, and workers claim exactly those ids (with the relay's fence). The database stays the system of
record: a lost dispatch message just lets the relay's short lease expire and the row is dispatched again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from tradelane.delivery import breaker as brk
from tradelane.delivery.retry import NetworkFailure, RetryAction, RetryPolicy, decide
from tradelane.delivery.senders import Sender, SendOutcome
from tradelane.observability import logging as obs_logging
from tradelane.observability import metrics, tracing
from tradelane.ports.delivery import (
    AttemptRecord,
    ClaimedDelivery,
    DeliveryResult,
    DeliveryStore,
    EndpointState,
)

__all__ = ["LaneConfig", "Worker", "WorkerConfig", "apply_breaker", "worker_id"]

log = logging.getLogger("tradelane.delivery")

LANES = ("critical", "bulk")
#: a busy lane claims once at least this share of its slots is free, or after :data:`CLAIM_GATHER_S`:
#: claiming one slot at a time as sends finish would cost one write transaction per delivery (measured in
#: distributed mode against a 50 ms sink: the claims, not the sends, bounded a worker)
MIN_CLAIM_SHARE = 0.25
#: longest a busy lane waits for more free slots before claiming for the ones it has, seconds
CLAIM_GATHER_S = 0.02


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{random.randrange(16**4):04x}"


@dataclass(frozen=True)
class LaneConfig:
    concurrency: int


@dataclass(frozen=True)
class WorkerConfig:
    lease_s: float = 30.0
    poll_interval_s: float = 0.5
    claim_batch: int = 64
    lanes: Mapping[str, LaneConfig] = field(
        default_factory=lambda: {"critical": LaneConfig(64), "bulk": LaneConfig(16)}
    )
    breaker: brk.BreakerPolicy = brk.DEFAULT_BREAKER_POLICY
    #: how long the cached endpoint states are trusted, seconds
    endpoint_refresh_s: float = 1.0
    #: most results written in one completion transaction
    complete_batch: int = 512


@dataclass
class _Endpoint:
    sender: Sender
    max_in_flight: int = 16
    rate_per_s: float | None = None
    tokens: float = 0.0
    last_refill: float = 0.0
    in_flight: int = 0


def _to_breaker(s: EndpointState) -> brk.BreakerState:
    return brk.BreakerState(
        state=brk.BreakerStatus(s.breaker),
        consecutive_failures=s.consecutive_failures,
        opened_at=s.opened_at,
        half_open_probe_at=s.half_open_probe_at,
        failing_since=s.failing_since,
    )


def apply_breaker(
    policy: brk.BreakerPolicy,
) -> Callable[[EndpointState, list[bool], datetime], tuple[EndpointState, list[str]]]:
    """The breaker update the store runs inside the completion transaction (row locked)."""

    def update(state: EndpointState, outcomes: list[bool], now: datetime) -> tuple[EndpointState, list[str]]:
        b = _to_breaker(state)
        transitions: list[str] = []
        last_ok = state.last_success_at
        last_fail = state.last_failure_at
        for ok in outcomes:
            if ok:
                b, happened = brk.on_success(b, now, policy)
                last_ok = now
            else:
                b, happened = brk.on_failure(b, now, policy)
                last_fail = now
            transitions.extend(str(x) for x in happened)
        new = replace(
            state,
            breaker=str(b.state),
            consecutive_failures=b.consecutive_failures,
            opened_at=b.opened_at,
            half_open_probe_at=b.half_open_probe_at,
            failing_since=b.failing_since,
            last_success_at=last_ok,
            last_failure_at=last_fail,
        )
        if "disable_recommended" in transitions and new.disabled_at is None:
            new = replace(new, disabled_at=now, disabled_reason="failing continuously; disabled by the breaker")
            transitions = [t for t in transitions if t != "disable_recommended"] + ["disabled"]
        # notify once per transition kind per batch; "reopened" is routine and not notified
        seen: list[str] = []
        for t in transitions:
            if t != "reopened" and t not in seen:
                seen.append(t)
        return new, seen

    return update


class Dispatch(Protocol):
    """Distributed mode: a source of dispatched (id, fence) pairs per lane."""

    async def next_batch(self, lane: str, max_items: int, timeout_s: float) -> list[tuple[str, int]]: ...


class Worker:
    """Runs the claim loops, the sends and the completer. ``await start()`` / ``await stop()``."""

    def __init__(
        self,
        store: DeliveryStore,
        senders: Mapping[str, Sender],
        policies: Mapping[str, RetryPolicy],
        config: WorkerConfig | None = None,
        *,
        endpoint_limits: Mapping[str, tuple[int, float | None]] | None = None,
        name: str | None = None,
        dispatch: Dispatch | None = None,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.config = config or WorkerConfig()
        self.policies = dict(policies)
        self.name = name or worker_id()
        self.dispatch = dispatch
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rng = rng or random.Random()
        limits = endpoint_limits or {}
        self.endpoints = {
            n: _Endpoint(s, *(limits.get(n, (16, None)))) for n, s in senders.items()
        }
        self._breaker_update = apply_breaker(self.config.breaker)
        self._states: dict[str, EndpointState] = {}
        self._states_at = 0.0
        self._wake = {lane: asyncio.Event() for lane in self.config.lanes}
        self._slot_free = {lane: asyncio.Event() for lane in self.config.lanes}
        self._in_flight = dict.fromkeys(self.config.lanes, 0)
        self._results: list[DeliveryResult] = []
        self._results_ready = asyncio.Event()
        #: deliveries whose recorded result may make other deliveries claimable at once (an ordered key's
        #: successor, a retry due now): the completer wakes the claim loops after recording them
        self._wake_after: set[str] = set()
        #: destination of each result waiting to be recorded
        self._destinations: dict[str, str] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        self._sends: set[asyncio.Task[Any]] = set()
        self._stopping = False
        #: counters (observability, tests, benchmarks)
        self.stats: dict[str, int] = defaultdict(int)
        #: called after results are durably recorded (tests and the bench wait on it)
        self.on_recorded: Callable[[list[DeliveryResult]], Awaitable[None] | None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------------
    async def start(self) -> None:
        self._stopping = False
        await self._refresh_states(force=True)
        self._tasks = [asyncio.create_task(self._completer(), name="tradelane-completer")]
        for lane in self.config.lanes:
            self._tasks.append(asyncio.create_task(self._lane_loop(lane), name=f"tradelane-lane-{lane}"))

    async def stop(self, drain_timeout_s: float = 10.0) -> None:
        """Stop claiming, let in-flight sends finish (bounded), record their results."""
        self._stopping = True
        for ev in self._wake.values():
            ev.set()
        for ev in self._slot_free.values():
            ev.set()
        lane_tasks = self._tasks[1:]
        for t in lane_tasks:
            t.cancel()
        for t in lane_tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        if self._sends:
            await asyncio.wait(self._sends, timeout=drain_timeout_s)
        self._results_ready.set()
        completer = self._tasks[0] if self._tasks else None
        if completer is not None:
            # the completer exits once stopping and empty
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(completer, timeout=drain_timeout_s)
        for ep in self.endpoints.values():
            with contextlib.suppress(Exception):
                await ep.sender.close()
        self._tasks = []

    def wake(self) -> None:
        """New work may be due (called after an ingest commit in embedded mode)."""
        for ev in self._wake.values():
            ev.set()

    # -- endpoint state ------------------------------------------------------------------------------
    async def _refresh_states(self, force: bool = False) -> None:
        loop = asyncio.get_running_loop()
        if force or loop.time() - self._states_at >= self.config.endpoint_refresh_s:
            self._states = await self.store.endpoint_states()
            self._states_at = loop.time()

    def _excluded(self, now: datetime) -> frozenset[str]:
        out = set()
        for name, ep in self.endpoints.items():
            if ep.in_flight >= ep.max_in_flight:
                out.add(name)
                continue
            st = self._states.get(name)
            if st is None or st.disabled_at is not None:
                continue  # disabled: claimed and dead-lettered without sending
            if st.breaker == "open":
                probe_at = brk.next_probe_at(_to_breaker(st), self.config.breaker)
                if probe_at is not None and now < probe_at:
                    out.add(name)
            elif st.breaker == "half_open":
                probe = st.half_open_probe_at
                if probe is not None and now - probe < self.config.breaker.probe_timeout:
                    out.add(name)
        return frozenset(out)

    # -- claim loops ---------------------------------------------------------------------------------
    async def _lane_loop(self, lane: str) -> None:
        cap = self.config.lanes[lane].concurrency
        want = max(1, int(cap * MIN_CLAIM_SHARE))
        loop = asyncio.get_running_loop()
        while not self._stopping:
            free = cap - self._in_flight[lane]
            if free <= 0:
                self._slot_free[lane].clear()
                await self._slot_free[lane].wait()
                continue
            if free < want:  # busy: let a few more sends finish so that one claim fills several slots
                deadline = loop.time() + CLAIM_GATHER_S
                while not self._stopping and cap - self._in_flight[lane] < want:
                    left = deadline - loop.time()
                    if left <= 0:
                        break
                    self._slot_free[lane].clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._slot_free[lane].wait(), left)
                free = cap - self._in_flight[lane]
            # clear before claiming: a wake() that arrives while the claim runs must not be lost
            self._wake[lane].clear()
            claim_started_ns = time.time_ns() if tracing.enabled() else 0
            try:
                await self._refresh_states()
                now = self.clock()
                limit = min(free, self.config.claim_batch)
                if self.dispatch is not None:
                    pairs = await self.dispatch.next_batch(lane, limit, self.config.poll_interval_s)
                    claimed = (
                        await self.store.claim_deliveries(
                            self.name, lane, limit, self.config.lease_s, self.clock(), ids=tuple(pairs)
                        )
                        if pairs
                        else []
                    )
                else:
                    claimed = await self.store.claim_deliveries(
                        self.name, lane, limit, self.config.lease_s, now, self._excluded(now)
                    )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("claim failed on lane %s; retrying", lane)
                await asyncio.sleep(self.config.poll_interval_s)
                continue
            if claim_started_ns:
                tracing.claimed(lane, claimed, claim_started_ns)
            for d in claimed:
                self._start_send(lane, d)
            # A short claim took everything due: wait for a wake-up (ingest commit, a recorded result that
            # unblocks work, a freed endpoint slot) or the poll tick, instead of claiming again at once —
            # an empty claim is a write transaction competing with the ingest commits.
            if len(claimed) < limit and self.dispatch is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake[lane].wait(), self.config.poll_interval_s)

    def _start_send(self, lane: str, d: ClaimedDelivery) -> None:
        self._in_flight[lane] += 1
        ep = self.endpoints.get(d.destination)
        if ep is not None:
            ep.in_flight += 1
        task = asyncio.create_task(self._process(lane, d))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    def _release_slot(self, lane: str, d: ClaimedDelivery) -> None:
        self._in_flight[lane] -= 1
        ep = self.endpoints.get(d.destination)
        if ep is not None:
            if ep.in_flight >= ep.max_in_flight:  # it was left out of claims: claim for it again now
                self._wake[lane].set()
            ep.in_flight -= 1
        self._slot_free[lane].set()

    # -- one delivery --------------------------------------------------------------------------------
    async def _process(self, lane: str, d: ClaimedDelivery) -> None:
        obs_logging.bind_correlation(d.event.get("correlationid"))  # this task's log lines
        try:
            with tracing.span(
                "delivery.attempt",
                parent=tracing.delivery_parent(d) if tracing.enabled() else None,
                attributes={
                    "tradelane.delivery.id": d.id,
                    "tradelane.endpoint": d.destination,
                    "tradelane.route": d.route,
                    "tradelane.lane": lane,
                    "tradelane.attempt": d.attempts + 1,
                },
            ) as sp:
                result = await self._attempt(d)
                if sp is not None:
                    sp.set_attribute("tradelane.delivery.outcome", result.attempt.outcome)
        except Exception as exc:  # a bug in a sender must not lose the delivery: retry it later
            log.exception("delivery %s failed unexpectedly", d.id)
            now = self.clock()
            result = DeliveryResult(
                d.id,
                d.fence,
                "pending",
                now + timedelta(seconds=30),
                AttemptRecord("retry", now, 0, error_class="internal", detail=f"{type(exc).__name__}: {exc}"),
            )
        if d.ordered or (result.status == "pending" and self._due_before_next_poll(result)):
            self._wake_after.add(d.id)
        self._destinations[d.id] = d.destination
        self._results.append(result)
        self._results_ready.set()
        self._release_slot(lane, d)

    def _due_before_next_poll(self, result: DeliveryResult) -> bool:
        due = result.next_attempt_at
        return due is None or due <= self.clock() + timedelta(seconds=self.config.poll_interval_s)

    async def _attempt(self, d: ClaimedDelivery) -> DeliveryResult:
        now = self.clock()
        ep = self.endpoints.get(d.destination)
        if ep is None:
            metrics.record_attempt(d.destination, "dead", None)
            return DeliveryResult(
                d.id,
                d.fence,
                "dead",
                None,
                AttemptRecord("dead", now, 0, error_class="no_endpoint", detail=f"no endpoint {d.destination!r}"),
            )
        st = self._states.get(d.destination)
        # the claim read the disabled flag in its own transaction: fresher than the cached states, which may
        # predate another process's disable (or enable)
        if d.endpoint_disabled is not None:
            reason = d.endpoint_disabled
            metrics.record_attempt(d.destination, "disabled", None)
            return DeliveryResult(
                d.id,
                d.fence,
                "dead",
                None,
                AttemptRecord("disabled", now, 0, error_class="endpoint_disabled", detail=f"endpoint disabled: {reason}"),
                counts_as_attempt=False,
            )
        if st is not None and st.breaker != "closed":
            allowed, _ = brk.allow(_to_breaker(st), now, self.config.breaker)
            won = allowed and await self.store.try_probe(d.destination, st.version, now)
            await self._refresh_states(force=True)
            if not won:
                later = brk.next_probe_at(_to_breaker(self._states.get(d.destination, st)), self.config.breaker)
                return DeliveryResult(
                    d.id,
                    d.fence,
                    "pending",
                    max(later or now, now) + timedelta(milliseconds=self.rng.randint(0, 500)),
                    AttemptRecord("released", now, 0, detail="breaker open; rescheduled without an attempt"),
                    counts_as_attempt=False,
                )
        await self._take_token(ep)
        started = self.clock()
        t_send = time.perf_counter()
        with tracing.span(
            "delivery.send", kind=tracing.SpanKind.CLIENT, attributes={"tradelane.endpoint": d.destination}
        ) as sp:
            out: SendOutcome = await ep.sender.send(d)
            if sp is not None:
                sp.set_attribute("tradelane.send.outcome", str(out.outcome))
        send_s = time.perf_counter() - t_send
        self.stats["attempts"] += 1
        policy = self.policies.get(d.route) or RetryPolicy()
        number = d.attempts + 1
        decision = decide(policy, number, out.outcome, self.clock(), out.retry_after, self.rng)
        error_class = _error_class(out.outcome)
        action = decision.action
        detail = f"{out.detail or ''}; {decision.reason}".strip("; ")
        health: bool | None
        if action is RetryAction.DONE:
            status, outcome, health = "done", "success", True
            self.stats["delivered"] += 1
        elif action is RetryAction.RETRY:
            status, outcome, health = "pending", "retry", False
            self.stats["retries"] += 1
        elif action is RetryAction.DISABLE:
            status, outcome, health = "dead", "disabled", None
            self.stats["dead"] += 1
            await self.store.set_endpoint_disabled(d.destination, f"answered {out.outcome} (Gone)", self.clock())
            await self._refresh_states(force=True)
        else:
            status, outcome = "dead", "dead"
            # a retryable outcome that exhausted the schedule counts against the endpoint; a 4xx does not
            health = False if isinstance(out.outcome, NetworkFailure) or _is_5xx(out.outcome) else None
            self.stats["dead"] += 1
        metrics.record_attempt(d.destination, outcome, send_s)
        return DeliveryResult(
            d.id,
            d.fence,
            status,  # type: ignore[arg-type]
            decision.next_attempt_at,
            AttemptRecord(
                outcome,
                started,
                out.duration_ms,
                status_code=out.outcome if isinstance(out.outcome, int) else None,
                error_class=None if status == "done" else error_class,
                detail=detail,
                response_excerpt=out.excerpt,
            ),
            breaker_success=health,
        )

    async def _take_token(self, ep: _Endpoint) -> None:
        if ep.rate_per_s is None:
            return
        loop = asyncio.get_running_loop()
        while True:
            t = loop.time()
            ep.tokens = min(ep.rate_per_s, ep.tokens + (t - ep.last_refill) * ep.rate_per_s)
            ep.last_refill = t
            if ep.tokens >= 1.0:
                ep.tokens -= 1.0
                return
            await asyncio.sleep((1.0 - ep.tokens) / ep.rate_per_s)

    # -- completer -----------------------------------------------------------------------------------
    async def _completer(self) -> None:
        while True:
            if not self._results:
                if self._stopping and not self._sends:
                    return
                self._results_ready.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._results_ready.wait(), 0.5)
                continue
            batch = self._results[: self.config.complete_batch]
            del self._results[: len(batch)]
            try:
                accepted = await self.store.complete_deliveries(
                    self.name, batch, self._breaker_update, self.clock()
                )
            except Exception:
                log.exception("recording %d results failed; will retry", len(batch))
                self._results[:0] = batch
                await asyncio.sleep(0.5)
                continue
            stale = sum(1 for ok in accepted if not ok)
            if stale:
                self.stats["stale"] += stale
                log.warning("%d late results rejected (lease lost, fence moved on)", stale)
            self.stats["recorded"] += len(batch) - stale
            moved = any(self._may_move_breaker(r) for r in batch)
            for r in batch:
                self._destinations.pop(r.delivery_id, None)
            if moved:
                await self._refresh_states(force=True)
            # an ordered delivery finished (its successor is now the head) or a retry is due: look again
            # at once; plain successes free only a slot, which the lane loop already knows about
            if self._wake_after:
                woke = [r.delivery_id for r in batch if r.delivery_id in self._wake_after]
                if woke:
                    self._wake_after.difference_update(woke)
                    self.wake()
            if self.on_recorded is not None:
                maybe = self.on_recorded(batch)
                if maybe is not None:
                    await maybe


    def _may_move_breaker(self, result: DeliveryResult) -> bool:
        """Whether recording ``result`` may have changed its endpoint's breaker (a success on a closed,
        healthy breaker changes nothing the claim loop looks at, so it needs no re-read)."""
        if result.breaker_success is None:
            return False
        if not result.breaker_success:
            return True
        dest = self._destinations.get(result.delivery_id)
        st = self._states.get(dest) if dest is not None else None
        return st is None or st.breaker != "closed" or st.consecutive_failures > 0


def _is_5xx(outcome: object) -> bool:
    return isinstance(outcome, int) and 500 <= outcome <= 599


def _error_class(outcome: object) -> str:
    if isinstance(outcome, NetworkFailure):
        return str(outcome)
    assert isinstance(outcome, int)
    if 200 <= outcome <= 299:
        return "none"
    if outcome == 429:
        return "rate_limited"
    if 500 <= outcome <= 599:
        return "http_5xx"
    if 400 <= outcome <= 499:
        return "http_4xx"
    if 300 <= outcome <= 399:
        return "http_3xx"
    return "http_other"
