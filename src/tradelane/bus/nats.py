"""NATS JetStream transport for distributed mode.

The database outbox is the system of record; JetStream only carries *dispatch* messages ("delivery D, fence
F, is yours to claim") from the relay to the workers, and publishes events to ``nats`` endpoints.

* The relay leases due deliveries in the database (``lease_owner = relay``, fence + 1) and publishes one
  message per delivery on ``<prefix>.dispatch.<lane>`` with ``Nats-Msg-Id = <id>:<fence>`` (JetStream drops
  a re-publish of the same dispatch within its duplicate window).
* Workers share one durable pull consumer per lane (queue semantics), claim exactly the (id, fence) pairs
  they fetched, and ack the messages once the claim is committed. A message whose fence is stale (the relay
  re-dispatched, or another worker finished it) claims nothing and is simply acked.
* The relay holds back the deliveries of an endpoint whose circuit breaker is open (until its probe is due)
  or half-open with its probe in flight, as the embedded worker's claims do: it reads the endpoints' shared
  breaker state (every ``endpoint_refresh_s``) and leaves them out of its lease. Dispatching them would only
  have the workers claim and release them again (or, with a worker's cached state a second old, send one
  more request to an endpoint that is down).
* If JetStream loses messages (its default fsync interval is 2 minutes; a ``kill -9`` of the server can
  lose acknowledged writes), the relay's short lease expires and the rows are dispatched again: loss in the
  broker costs latency, never deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import nats
from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.client import JetStreamContext

from tradelane.core.errors import TransientError
from tradelane.delivery import breaker as brk
from tradelane.delivery.worker import held_endpoints
from tradelane.observability import tracing
from tradelane.ports.delivery import ClaimedDelivery, DeliveryStore, EndpointState
from tradelane.security.properties import strip_pricing

__all__ = ["NatsBus", "NatsDispatch", "NatsPublisher", "Relay"]

log = logging.getLogger("tradelane.bus")

DISPATCH = "dispatch"


class NatsBus:
    """One connection per process, reconnecting for ever."""

    def __init__(self, url: str, stream: str = "TRADELANE", prefix: str | None = None) -> None:
        self.url = url
        self.stream = stream
        #: subject prefix; one per stream, as two streams may not share subjects
        self.prefix = prefix or stream.lower()
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None

    async def connect(self) -> None:
        self.nc = await nats.connect(
            self.url,
            name="tradelane",
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            allow_reconnect=True,
            connect_timeout=5,
        )
        self.js = self.nc.jetstream(timeout=5)
        await self.ensure_streams()

    async def ensure_streams(self, event_subjects: Sequence[str] = ()) -> None:
        assert self.js is not None
        cfg = StreamConfig(
            name=self.stream,
            subjects=[f"{self.prefix}.{DISPATCH}.>"],
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
            duplicate_window=120,
        )
        try:
            await self.js.add_stream(cfg)
        except Exception:
            await self.js.update_stream(cfg)
        if event_subjects:
            ecfg = StreamConfig(
                name=f"{self.stream}_EVENTS",
                subjects=list(event_subjects),
                storage=StorageType.FILE,
                duplicate_window=120,
            )
            try:
                await self.js.add_stream(ecfg)
            except Exception:
                await self.js.update_stream(ecfg)

    def subject(self, lane: str) -> str:
        return f"{self.prefix}.{DISPATCH}.{lane}"

    async def close(self) -> None:
        if self.nc is not None:
            with contextlib.suppress(Exception):
                await self.nc.close()
            self.nc = None


class NatsDispatch:
    """Worker side: fetch dispatched (id, fence) pairs from the lane's shared durable consumer."""

    def __init__(self, bus: NatsBus, ack_wait_s: float = 30.0) -> None:
        self.bus = bus
        self.ack_wait_s = ack_wait_s
        self._subs: dict[str, Any] = {}
        self._pending_acks: dict[str, list[Any]] = {}

    async def _sub(self, lane: str) -> Any:
        sub = self._subs.get(lane)
        if sub is None:
            assert self.bus.js is not None
            sub = await self.bus.js.pull_subscribe(
                self.bus.subject(lane),
                durable=f"workers-{lane}",
                stream=self.bus.stream,
                config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=self.ack_wait_s, max_ack_pending=-1),
            )
            self._subs[lane] = sub
        return sub

    async def next_batch(self, lane: str, max_items: int, timeout_s: float) -> list[tuple[str, int]]:
        try:
            sub = await self._sub(lane)
            msgs = await sub.fetch(max_items, timeout=timeout_s)
        except (TimeoutError, NatsTimeout):
            return []
        except Exception as exc:  # broker down: the relay's leases expire and rows are dispatched again
            log.warning("dispatch fetch failed: %s", exc)
            self._subs.pop(lane, None)
            await asyncio.sleep(timeout_s)
            return []
        pairs: list[tuple[str, int]] = []
        for m in msgs:
            try:
                did, fence = m.data.decode().split(" ", 1)
                pairs.append((did, int(fence)))
            except ValueError:
                log.warning("malformed dispatch message dropped: %r", m.data[:80])
        # ack at once: from here the database lease (claimed right after) is what protects the delivery;
        # a worker dying before its claim commits leaves the relay's lease to expire and re-dispatch
        for m in msgs:
            with contextlib.suppress(Exception):
                await m.ack()
        return pairs


class Relay:
    """Outbox relay: lease due deliveries to the dispatcher and publish them on JetStream."""

    def __init__(
        self,
        store: DeliveryStore,
        bus: NatsBus,
        *,
        dispatch_lease_s: float = 30.0,
        poll_interval_s: float = 0.05,
        batch: int = 500,
        clock: Callable[[], datetime] | None = None,
        breaker: brk.BreakerPolicy = brk.DEFAULT_BREAKER_POLICY,
        endpoint_refresh_s: float = 0.5,
    ) -> None:
        self.store = store
        self.bus = bus
        self.dispatch_lease_s = dispatch_lease_s
        self.poll_interval_s = poll_interval_s
        self.batch = batch
        self.clock = clock or (lambda: datetime.now(UTC))
        #: the breaker policy the workers use (its cool-down says when an open endpoint's probe is due)
        self.breaker = breaker
        self.endpoint_refresh_s = endpoint_refresh_s
        self._task: asyncio.Task[None] | None = None
        self._states: dict[str, EndpointState] = {}
        self._states_at: float | None = None
        #: endpoints whose deliveries the last pump held back (breaker open or probing)
        self.held: frozenset[str] = frozenset()
        self.published = 0
        #: pumps run (tests wait on it instead of sleeping)
        self.pumps = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="tradelane-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                n = await self.pump()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("relay: %s; retrying", exc)
                await asyncio.sleep(1.0)
                continue
            if n < self.batch:
                await asyncio.sleep(self.poll_interval_s)

    async def pump(self) -> int:
        """Dispatch one batch; returns how many were published."""
        assert self.bus.js is not None
        loop = asyncio.get_running_loop()
        if self._states_at is None or loop.time() - self._states_at >= self.endpoint_refresh_s:
            self._states = await self.store.endpoint_states()
            self._states_at = loop.time()
        now = self.clock()
        self.held = held_endpoints(self._states, now, self.breaker)
        items = await self.store.dispatchable(now, self.batch, self.dispatch_lease_s, self.held)
        self.pumps += 1
        if not items:
            return 0
        acks = [
            self.bus.js.publish(
                self.bus.subject(lane), f"{did} {fence}".encode(), headers={"Nats-Msg-Id": f"{did}:{fence}"}
            )
            for did, lane, fence in items
        ]
        results = await asyncio.gather(*acks, return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            # not published: the lease expires and they are dispatched again
            log.warning("relay: %d of %d dispatch publishes failed: %s", len(failed), len(items), failed[0])
        self.published += len(items) - len(failed)
        return len(items)


class NatsPublisher:
    """Sender for ``nats`` endpoints: publish the CloudEvent to a JetStream subject, success on PubAck.

    Like an HTTP endpoint, a subject receives prices and costs only when its endpoint has ``pricing_read``
    (property-level authorisation: whoever consumes the subject is another system).
    """

    def __init__(self, bus: NatsBus, subject: str, *, pricing_read: bool = False) -> None:
        self.bus = bus
        self.subject = subject
        self.pricing_read = pricing_read

    async def __call__(self, delivery: ClaimedDelivery) -> None:
        import orjson

        if self.bus.js is None:
            raise TransientError("not connected to NATS")
        headers = {"Nats-Msg-Id": delivery.id, "ce-type": str(delivery.event.get("type", ""))}
        tracing.inject(headers)  # W3C traceparent of the send span (nothing when tracing is off)
        try:
            event = delivery.event if self.pricing_read else strip_pricing(delivery.event)
            await self.bus.js.publish(self.subject, orjson.dumps(event), headers=headers)
        except Exception as exc:
            raise TransientError(f"NATS publish failed: {exc}") from exc
