"""The delivery worker: claim → send → decide → record, per lane, with leases, fencing and a shared breaker.

One worker process runs one :class:`Worker`. For each lane (critical, bulk) a claim loop leases due
deliveries up to the lane's free concurrency, each send runs as its own task, and finished results are
written by one completer task in batches (group commit: while one batch is written the next gathers, and
plain successes wait up to :data:`COMPLETE_GATHER_S` for company).

* **Leases and fencing.** A claim leases a row for ``lease_s`` and bumps its fence; the result is applied
  only with the same fence. A worker killed mid-send leaves a lease that simply expires; another worker
  re-sends (the receiver dedupes on ``webhook-id`` = delivery id), so nothing is lost and effects stay single.
* **Retries** are decisions (:func:`tradelane.delivery.retry.decide`) stored as ``next_attempt_at``; nothing
  sleeps in memory.
* **Breaker** state lives on the endpoint's row, shared by all workers. Open endpoints are left out of
  claims until their probe time; then one worker wins the half-open probe by compare-and-set.
* **Head-of-line protection.** Each endpoint has a per-process in-flight cap; a slow or black-holed endpoint
  fills only its own slots, other endpoints and the other lane keep going.
* **Rate limits** (``rate_limit_per_s``) hold across every worker: tokens come from one bucket per endpoint
  in the database (burst: one second's worth), taken atomically, as many at a time as this process has
  sends waiting for that endpoint, so N workers share the configured rate instead of sending N × it.
* **Ordering** (routes with ``ordered: true``) is enforced by the claim query: only the oldest pending
  delivery per (destination, partition key) is claimable.
* **Claims inside the ingest transaction** (embedded mode). The store asks :meth:`Worker.ingest_claims` for
  the claims of idle lanes and runs them in the very transaction that wrote the new deliveries; once it
  committed, :meth:`Worker.adopt` starts their sends. Same claim, lease and fence as the lane loop's, minus
  one write transaction and the wait for the write lock behind the next ingest group, which was most of the
  ingest → send latency. A lane that is claiming on its own, or busy, is left to its loop.
* **Wake-ups.** An embedded ingest commit calls :meth:`Worker.wake_after_ingest`, so new work is claimed at
  once (unless the ingest transaction already claimed everything due on that lane); a
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
from tradelane.delivery.senders import Sender, SendOutcome, excerpt_without_pricing
from tradelane.observability import logging as obs_logging
from tradelane.observability import metrics, tracing
from tradelane.ports.delivery import (
    AttemptRecord,
    ClaimedDelivery,
    ClaimRequest,
    DeliveryResult,
    DeliveryStore,
    EndpointState,
)

__all__ = ["LaneConfig", "Worker", "WorkerConfig", "apply_breaker", "held_endpoints", "worker_id"]

log = logging.getLogger("tradelane.delivery")

LANES = ("critical", "bulk")
#: a busy lane claims once at least this share of its slots is free, or after :data:`CLAIM_GATHER_S`:
#: claiming one slot at a time as sends finish would cost one write transaction per delivery (measured in
#: distributed mode against a 50 ms sink: the claims, not the sends, bounded a worker)
MIN_CLAIM_SHARE = 0.25
#: longest a busy lane waits for more free slots before claiming for the ones it has, seconds
CLAIM_GATHER_S = 0.02
#: longest plain successes wait for more results before they are recorded, seconds: at a steady rate each
#: send would otherwise end in a write transaction of its own, queued against the ingest commits for the
#: write lock (a result that can make work claimable — an ordered key's successor, a retry due — is written
#: at once)
COMPLETE_GATHER_S = 0.01


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
    #: tokens taken from the shared bucket and not yet spent by this process
    tokens: int = 0
    #: sends of this process waiting for a token
    waiting: int = 0
    #: one bucket request at a time per endpoint and process
    bucket_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    in_flight: int = 0


def _to_breaker(s: EndpointState) -> brk.BreakerState:
    return brk.BreakerState(
        state=brk.BreakerStatus(s.breaker),
        consecutive_failures=s.consecutive_failures,
        opened_at=s.opened_at,
        half_open_probe_at=s.half_open_probe_at,
        failing_since=s.failing_since,
    )


def held_endpoints(
    states: Mapping[str, EndpointState], now: datetime, policy: brk.BreakerPolicy
) -> frozenset[str]:
    """Endpoints whose deliveries are held back from claims and dispatch: breaker open and its probe not yet
    due, or half-open with its probe in flight. A disabled endpoint is not held: its deliveries are claimed
    and dead-lettered without sending."""
    out = set()
    for name, st in states.items():
        if st.disabled_at is not None:
            continue
        if st.breaker == "open":
            probe_at = brk.next_probe_at(_to_breaker(st), policy)
            if probe_at is not None and now < probe_at:
                out.add(name)
        elif st.breaker == "half_open":
            probe = st.half_open_probe_at
            if probe is not None and now - probe < policy.probe_timeout:
                out.add(name)
    return frozenset(out)


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
        #: lanes whose loop waits for a wake-up: the ingest transaction may claim for them
        self._idle = dict.fromkeys(self.config.lanes, False)
        #: lanes whose last claim inside an ingest transaction took everything due: that commit's wake-up
        #: would only run an empty claim
        self._covered = dict.fromkeys(self.config.lanes, False)
        self._results: list[DeliveryResult] = []
        self._results_ready = asyncio.Event()
        #: deliveries whose recorded result may make other deliveries claimable at once (an ordered key's
        #: successor, a retry due now): the completer wakes the claim loops after recording them
        self._wake_after: set[str] = set()
        #: destination of each result waiting to be recorded
        self._destinations: dict[str, str] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        self._sends: set[asyncio.Task[Any]] = set()
        #: deliveries being sent: id → (fence, monotonic time their lease runs out); the lease keeper renews
        #: a lease before it runs out, so a send slower than ``lease_s`` is not claimed and sent again
        self._held: dict[str, tuple[int, float]] = {}
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
        self._tasks.append(asyncio.create_task(self._lease_keeper(), name="tradelane-lease-keeper"))
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
        """New work may be due."""
        for ev in self._wake.values():
            ev.set()

    def wake_after_ingest(self) -> None:
        """An ingest commit wrote deliveries (embedded mode): wake the lanes it did not claim for in full."""
        for lane, ev in self._wake.items():
            if self._covered[lane]:
                self._covered[lane] = False
            else:
                ev.set()

    # -- claims inside the ingest transaction (embedded mode; see IngestClaimer) --------------------------
    def ingest_claims(self, lanes: frozenset[str]) -> list[ClaimRequest]:
        """The claims the next ingest transaction (writing deliveries on ``lanes``) may run: one per idle lane
        among them with free slots, which stay reserved until :meth:`adopt` (a lane waking meanwhile sees
        them taken). Other lanes' due work is their loops' to claim."""
        for lane in self._covered:  # a lane this commit writes nothing for needs no wake-up from it
            self._covered[lane] = lane not in lanes
        if self._stopping or not self._tasks or self.dispatch is not None:
            return []
        out: list[ClaimRequest] = []
        exclude: frozenset[str] | None = None
        for lane, cfg in self.config.lanes.items():
            free = cfg.concurrency - self._in_flight[lane]
            if lane not in lanes or not self._idle[lane] or free <= 0:
                continue
            if exclude is None:
                exclude = self._excluded(self.clock())
            limit = min(free, self.config.claim_batch)
            self._in_flight[lane] += limit  # reserved
            out.append(ClaimRequest(self.name, lane, limit, self.config.lease_s, exclude))
        return out

    def adopt(self, claimed: list[tuple[ClaimRequest, list[ClaimedDelivery]]], committed: bool = True) -> None:
        """The ingest transaction ended: start the sends of what it claimed and give back the reserved slots.
        Not committed: nothing was claimed, and that commit's wake-up (if it is retried) must not be skipped."""
        for req, got in claimed:
            self._in_flight[req.lane] -= req.limit
            if not committed:
                self._covered[req.lane] = False
                self._slot_free[req.lane].set()
                continue
            if tracing.enabled():
                tracing.claimed(req.lane, got, time.time_ns())
            for d in got:
                self._start_send(req.lane, d)
            if len(got) < req.limit:
                self._covered[req.lane] = True
                self._slot_free[req.lane].set()

    # -- endpoint state ------------------------------------------------------------------------------
    async def _refresh_states(self, force: bool = False) -> None:
        loop = asyncio.get_running_loop()
        if force or loop.time() - self._states_at >= self.config.endpoint_refresh_s:
            self._states = await self.store.endpoint_states()
            self._states_at = loop.time()

    def _excluded(self, now: datetime) -> frozenset[str]:
        capped = {name for name, ep in self.endpoints.items() if ep.in_flight >= ep.max_in_flight}
        held = held_endpoints(self._states, now, self.config.breaker)
        return frozenset(capped | (held & self.endpoints.keys())) if held else frozenset(capped)

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
                self._idle[lane] = True
                try:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake[lane].wait(), self.config.poll_interval_s)
                finally:
                    self._idle[lane] = False

    def _start_send(self, lane: str, d: ClaimedDelivery) -> None:
        self._in_flight[lane] += 1
        self._held[d.id] = (d.fence, time.monotonic() + self.config.lease_s)
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
        self._held.pop(d.id, None)
        self._results.append(result)
        self._results_ready.set()
        self._release_slot(lane, d)

    async def _lease_keeper(self) -> None:
        """Renew the leases of sends still running when a third of their lease is left (one small write
        per renewal round, only while some send outlives two thirds of ``lease_s``: a flow step on a busy
        Odoo, a partner that answers slowly within its timeout). A lease that could not be renewed (the
        fence moved on) is dropped: that send's result will be rejected as stale, as before."""
        lease_s = self.config.lease_s
        tick = max(0.05, lease_s / 6)
        while not self._stopping:
            await asyncio.sleep(tick)
            deadline = time.monotonic() + lease_s / 3
            due = tuple((i, f) for i, (f, until) in self._held.items() if until <= deadline)
            if not due:
                continue
            started = time.monotonic()
            try:
                renewed = await self.store.renew_leases(self.name, due, lease_s, self.clock())
            except Exception:  # the next round tries again; the lease may still be good
                log.warning("lease renewal of %d deliveries failed", len(due), exc_info=True)
                continue
            self.stats["leases_renewed"] += len(renewed)
            for i, f in due:
                if i not in self._held:
                    continue  # finished meanwhile
                if i in renewed:
                    self._held[i] = (f, started + lease_s)
                else:
                    self._held.pop(i, None)
                    self.stats["leases_lost"] += 1
                    log.warning("lease of delivery %s lost while sending (fence moved on)", i)

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
        await self._take_token(d.destination, ep)
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
                # stored stripped: excerpts are shown on every surface (API, CLI, control tower) and in dumps
                response_excerpt=excerpt_without_pricing(out.excerpt),
            ),
            breaker_success=health,
        )

    async def _take_token(self, name: str, ep: _Endpoint) -> None:
        """Wait for a token of the endpoint's shared rate-limit bucket (no limit: return at once)."""
        rate = ep.rate_per_s
        if rate is None:
            return
        ep.waiting += 1
        try:
            while True:
                if ep.tokens >= 1:
                    ep.tokens -= 1
                    return
                async with ep.bucket_lock:  # the other waiters queue here and share what this request gets
                    if ep.tokens >= 1:
                        continue
                    try:
                        granted, wait_s = await self.store.take_rate_tokens(
                            name, rate, max(1.0, rate), ep.waiting, self.clock()
                        )
                    except Exception:
                        log.exception("rate-limit bucket of %s unavailable; waiting", name)
                        granted, wait_s = 0, self.config.poll_interval_s
                    ep.tokens += granted
                    if not granted:
                        await asyncio.sleep(min(max(wait_s, 0.001), 1.0))
        finally:
            ep.waiting -= 1

    # -- completer -----------------------------------------------------------------------------------
    async def _completer(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._results:
                if self._stopping and not self._sends:
                    return
                self._results_ready.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._results_ready.wait(), 0.5)
                continue
            if not self._stopping and not self._wake_after and len(self._results) < self.config.complete_batch:
                deadline = loop.time() + COMPLETE_GATHER_S
                while not self._stopping and not self._wake_after and len(self._results) < self.config.complete_batch:
                    left = deadline - loop.time()
                    if left <= 0:
                        break
                    self._results_ready.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._results_ready.wait(), left)
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
