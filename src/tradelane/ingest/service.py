"""The ingest service: accept → validate → dedupe → commit, with group commit.

Concurrent requests are queued to one committer task; while one transaction is being written, the next
requests gather, and the committer writes them all in the next transaction. Each caller's future resolves
only after the transaction holding its events has committed, so a 2xx still means "committed"; many
callers share one fsync.

Idempotency-Key: a key in flight in this process answers 409; across processes the unique constraint
on ``(scope, key)`` settles the race and the loser replays the winner's stored response.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable
from typing import Any

import orjson

from tradelane.core.envelope import CloudEvent
from tradelane.core.errors import ConflictError
from tradelane.ingest.validate import event_hash
from tradelane.observability import metrics, tracing
from tradelane.ports.store import IdempotencyClaim, RawMessage, Store, Submission, SubmissionResult
from tradelane.routing.routes import Router

__all__ = ["IngestService", "request_hash"]

#: a queued submission: the submission, its caller's future, and its trace context (``None`` when not tracing)
_Item = tuple[Submission, "asyncio.Future[SubmissionResult]", Any]

#: most submissions gathered into one transaction by default
DEFAULT_GROUP_MAX = 512


def _plans_delivery(sub: Submission) -> bool:
    """Whether committing ``sub`` may have written a pending delivery (filtered ones are terminal at once).

    Waking the delivery worker when there is nothing for it to claim costs a write transaction per commit
    (measured: about a sixth of the ingest hot path's CPU with no routes configured).
    """
    return sub.deliveries is not None and any(p.filtered_reason is None for plans in sub.deliveries for p in plans)


def request_hash(doc: Any) -> str:
    """Hash of a request body's canonical JSON (key order and whitespace do not matter)."""
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()


class IngestService:
    """Commits submissions durably; see the module docstring."""

    def __init__(
        self,
        store: Store,
        group_max: int = DEFAULT_GROUP_MAX,
        router: Router | None = None,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.group_max = group_max
        #: plans the deliveries written with each new event (none when no routes are configured)
        self.router = router
        #: called after each commit that stored new events (wakes the embedded delivery worker)
        self.on_commit = on_commit
        #: apply the stale-event rules to every submission (``staleness.enabled``); a submission may override
        self.screen = False
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue()
        self._inflight: set[tuple[str, str]] = set()
        self._task: asyncio.Task[None] | None = None
        #: counters for observability and the benchmark
        self.transactions = 0
        self.submissions = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._run(), name="tradelane-group-commit")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is not None:
            await self._queue.put(None)
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def submit(
        self,
        tenant: str,
        events: list[CloudEvent],
        *,
        channel: str = "api",
        batch: bool = False,
        idempotency: IdempotencyClaim | None = None,
        dedupe_keys: list[str] | None = None,
        raw: RawMessage | None = None,
        mapping: tuple[str, str] | None = None,
        screen: bool | None = None,
        system: tuple[str, str | None] | None = None,
    ) -> SubmissionResult:
        """Commit ``events`` as one submission and return once they are durable.

        :param mapping: ``(partner@version, digest)`` of the partner mapping the events came from
        :param screen: apply the stale-event rules (default: :attr:`screen`)
        :param system: ``(id, kind)`` of the system the events come from, for the system-of-record matrix
            (default: the tenant, kind unknown)
        """
        if not self.running:
            raise RuntimeError("ingest service is not running")
        sub = Submission(
            tenant=tenant,
            channel=channel,
            events=tuple(events),
            event_hashes=tuple([event_hash(e) for e in events]),
            batch=batch,
            idempotency=idempotency,
            dedupe_keys=tuple(dedupe_keys) if dedupe_keys else None,
            raw=raw,
            deliveries=tuple(self.router.plan(e) for e in events) if self.router else None,
            mapping=mapping[0] if mapping else None,
            mapping_digest=mapping[1] if mapping else None,
            screen=self.screen if screen is None else screen,
            system=system[0] if system else None,
            system_kind=system[1] if system else None,
        )
        claim_key = (idempotency.scope, idempotency.key) if idempotency else None
        if claim_key is not None:
            if claim_key in self._inflight:
                raise ConflictError("a request with this Idempotency-Key is still being processed")
            self._inflight.add(claim_key)
        t0 = time.perf_counter()
        try:
            with tracing.span(
                "ingest.submit", attributes={"tradelane.tenant": tenant, "tradelane.events": len(events)}
            ) as sp:
                if sp is not None:  # tracing: let this process's worker continue each event's trace
                    tp = tracing.current_traceparent()
                    if tp is not None:
                        for e in events:
                            tracing.remember(tenant, e.source, e.id, tp)
                fut: asyncio.Future[SubmissionResult] = asyncio.get_running_loop().create_future()
                self._queue.put_nowait((sub, fut, tracing.capture()))  # unbounded: never waits
                result = await fut
            metrics.record_ingest(channel, result, time.perf_counter() - t0)
            return result
        finally:
            if claim_key is not None:
                self._inflight.discard(claim_key)

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            # one turn of the loop first: requests already being handled queue up and join this group
            await asyncio.sleep(0)
            items = [first]
            while len(items) < self.group_max and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    stopping = True
                    break
                items.append(nxt)
            metrics.observe_commit_batch(len(items))
            try:
                with tracing.span(
                    "store.commit",
                    parent=items[0][2],
                    links=tracing.links([c for _, _, c in items[1:]]) if tracing.enabled() else None,
                    attributes={"tradelane.submissions": len(items)},
                ):
                    results = await self.store.commit_submissions([s for s, _, _ in items])
            except Exception as exc:  # every caller of the failed transaction gets the error
                for _, fut, _ in items:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            self.transactions += 1
            self.submissions += len(items)
            if self.on_commit is not None and any(
                r.outcome == "created" and _plans_delivery(s) for (s, _, _), r in zip(items, results, strict=True)
            ):
                self.on_commit()
            for (_, fut, _), res in zip(items, results, strict=True):
                if not fut.done():
                    fut.set_result(res)
