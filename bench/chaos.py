"""``make chaos``: the delivery contract under crashes, in embedded and in distributed mode.

Headline scenario (reference/reliability.md): N events (default 10,000) are ingested over HTTP while a real
HTTP sink answers 20 % of delivery attempts with 500 (seeded) and records effects by idempotency key
(``webhook-id``); processes are killed with SIGKILL at random points and restarted; the retry schedule is
the default one compressed ×1/600. Then, once every delivery is terminal, it checks:

* lost: accepted events (2xx to the client) that are missing from the store, or whose delivery is neither
  applied at the sink nor dead-lettered nor filtered;
* duplicate effects: one event applied twice at the sink under different idempotency keys;
* conservation: events = done + dead + filtered, exactly;
* resumption: after every restart, work resumes (a new effect at the sink) within 30 s;
* and reports HTTP-level duplicates (at-least-once at work) and latency percentiles.

Embedded: one ``tradelane run`` process on SQLite, killed 3 times. Distributed: PostgreSQL + NATS
JetStream, ``--role api``, one ``--role relay`` and 3 ``--role worker`` processes; 3 worker kills, a NATS
``kill -9`` + restart, and (when ``initdb`` is available, with a private cluster) PostgreSQL
``stop -m immediate`` + restart. Exits non-zero on any loss, duplicate effect, broken conservation or a
restart after which work did not resume within 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx2
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _servers import BIN, free_port, wait_port

TRADELANE = str(BIN / "tradelane")
SECRET = "chaos-secret-" + uuid.uuid4().hex


class Proc:
    """A child process we can SIGKILL and restart."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logdir: Path, port: int | None = None):
        self.name, self.args, self.env, self.port = name, args, env, port
        self.log = open(logdir / f"{name}.log", "ab")
        self.p: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        self.p = subprocess.Popen(self.args, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        if self.port:
            wait_port(self.port)

    def kill9(self) -> None:
        if self.p and self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGKILL)
            self.p.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.p and self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()


def write_config(path: Path, db_url: str, sink_port: int, *, bus_url: str = "", stream: str = "") -> None:
    import yaml

    cfg: dict[str, Any] = {
        "mode": "distributed" if bus_url else "embedded",
        "data_dir": str(path.parent / "data"),
        "database": {"url": db_url},
        "endpoints": {
            "sink": {"url": f"http://127.0.0.1:{sink_port}/hook", "allow": ["127.0.0.1"], "timeout_s": 3,
                     "max_in_flight": 64}
        },
        "routes": [{"name": "all-to-sink", "events": ["tradelane.*"], "destination": "sink"}],
        "delivery": {
            "retry_compress": 1 / 600,
            "lease_s": 5,
            "poll_interval_s": 0.2,
            "breaker": {"failure_threshold": 8, "cool_down_s": 1},
        },
    }
    if bus_url:
        cfg["bus"] = {"url": bus_url, "stream": stream}
    path.write_text(yaml.safe_dump(cfg))


def make_key(config: Path, env: dict[str, str]) -> str:
    out = subprocess.run(
        [TRADELANE, "keys", "create", "chaos", "--tenant", "chaos", "--scope", "events:write", "-c", str(config)],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    for tok in out.split():
        if tok.startswith("tl_pk_"):
            return tok
    raise RuntimeError(f"no key in output: {out}")


def event(i: int, keys: int) -> dict[str, Any]:
    from tradelane.core.examples import example

    data = example("tradelane.shipment.milestone.v1")
    data["shipment_id"] = f"shp_{i % keys}"
    data["event"]["carrier_event_id"] = f"CH-{i}"
    return {
        "specversion": "1.0",
        "id": f"chaos-{i}",
        "source": "urn:chaos:carrier",
        "type": "tradelane.shipment.milestone.v1",
        "sequence": i,
        "data": data,
    }


async def load(base: str, key: str, n: int, batch: int, accepted: set[str], done: asyncio.Event) -> float:
    """POST all events in batches; retry each batch (same Idempotency-Key) until it gets a 2xx."""
    t0 = time.monotonic()
    sem = asyncio.Semaphore(4)
    async with httpx2.AsyncClient(base_url=base, timeout=10) as c:

        async def one(b: int) -> None:
            body = [event(i, 200) for i in range(b * batch, min(n, (b + 1) * batch))]
            headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": f"chaos-batch-{b}"}
            async with sem:
                while True:
                    try:
                        r = await c.post("/v1/events/batch", json=body, headers=headers)
                        if r.status_code in (200, 201):
                            accepted.update(e["id"] for e in body)
                            return
                        if r.status_code not in (409, 500, 502, 503):
                            raise RuntimeError(f"batch {b}: {r.status_code} {r.text[:300]}")
                    except httpx2.TransportError:
                        pass
                    await asyncio.sleep(0.2)

        await asyncio.gather(*(one(b) for b in range((n + batch - 1) // batch)))
    done.set()
    return time.monotonic() - t0


async def verify(db_url: str, sink_port: int, accepted: set[str], timeout_s: float) -> dict[str, Any]:
    from sqlalchemy import select

    from tradelane.store.engine import make_engine
    from tradelane.store.tables import deliveries, events

    engine = make_engine(db_url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with engine.connect() as conn:
                rows = conn.execute(
                    select(deliveries.c.id, deliveries.c.status, deliveries.c.hub_id, deliveries.c.created_at,
                           deliveries.c.completed_at, deliveries.c.attempts)
                ).all()
                ev = dict(conn.execute(select(events.c.hub_id, events.c.event_id)).all())
            pending = sum(1 for r in rows if r.status == "pending")
            if (pending == 0 and len(ev) >= len(accepted)) or time.monotonic() > deadline:
                break
            await asyncio.sleep(1.0)
    finally:
        engine.dispose()
    async with httpx2.AsyncClient(timeout=10) as c:
        stats = (await c.get(f"http://127.0.0.1:{sink_port}/stats")).json()
    return {"rows": rows, "events": ev, "sink": stats, "pending": pending}


#: the contract: work resumes within this many seconds of a restart (reference/reliability.md)
RESUME_WITHIN_S = 30.0


class ResumeWatch:
    """After each restart, how long until the sink applies a new effect (work resumed)."""

    def __init__(self, sink_port: int, accepted: set[str]) -> None:
        self.sink_port = sink_port
        self.accepted = accepted
        self.tasks: list[asyncio.Task[tuple[str, float | None]]] = []

    def restarted(self, what: str) -> None:
        self.tasks.append(asyncio.create_task(self._watch(what, time.monotonic())))

    async def _effects(self, c: httpx2.AsyncClient) -> int:
        return int((await c.get(f"http://127.0.0.1:{self.sink_port}/stats")).json()["effects"])

    async def _watch(self, what: str, t0: float) -> tuple[str, float | None]:
        async with httpx2.AsyncClient(timeout=5) as c:
            before = await self._effects(c)
            while time.monotonic() - t0 < 2 * RESUME_WITHIN_S:
                await asyncio.sleep(0.1)
                with contextlib.suppress(httpx2.TransportError):
                    n = await self._effects(c)
                    if n > before:
                        return what, time.monotonic() - t0
                    if n >= len(self.accepted) and self.accepted:  # nothing was left to deliver
                        return what, None
        return what, float("inf")

    async def results(self) -> dict[str, Any]:
        done = [await t for t in self.tasks]
        secs = [v for _, v in done if v is not None]
        return {
            "resumed after restart (s)": ", ".join(
                f"{w}: {'idle' if v is None else f'{v:.1f}'}" for w, v in done
            ),
            "_resume_ok": all(v <= RESUME_WITHIN_S for v in secs),
        }


def report(mode: str, res: dict[str, Any], accepted: set[str], effects_file: Path, elapsed: float,
           extra: dict[str, Any]) -> bool:
    rows, ev, sink = res["rows"], res["events"], res["sink"]
    effects: dict[str, str] = {}
    for line in effects_file.read_bytes().splitlines():
        with contextlib.suppress(orjson.JSONDecodeError):
            rec = orjson.loads(line)
            effects[rec["wid"]] = rec["id"]
    stored_ids = set(ev.values())
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    terminal_ok = {r.hub_id for r in rows if (r.status == "done" and r.id in effects) or r.status in ("dead", "filtered")}
    missing_in_store = accepted - stored_ids
    unresolved = [h for h, eid in ev.items() if eid in accepted and h not in terminal_ok]
    lost = len(missing_in_store) + len(unresolved)
    effect_events: dict[str, int] = {}
    for eid in effects.values():
        effect_events[eid] = effect_events.get(eid, 0) + 1
    dup_effects = sum(n - 1 for n in effect_events.values() if n > 1) + int(sink.get("effect_duplicates", 0))
    conservation = len(ev) == sum(by_status.values()) and len(rows) == len(ev) and stored_ids == accepted
    lat = sorted(
        (r.completed_at - r.created_at).total_seconds() * 1000 for r in rows if r.status == "done" and r.completed_at
    )

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")

    print(f"\n=== chaos ({mode}) ===")
    print(f"accepted={len(accepted)} stored={len(ev)} deliveries={len(rows)} by_status={by_status}")
    print(f"sink: requests={sink['requests']} effects={len(effects)} injected_500s={sink['failures_injected']}")
    resume_ok = bool(extra.pop("_resume_ok", True))
    for k, v in extra.items():
        print(f"{k}: {v}")
    print(f"lost={lost} duplicate_effects={dup_effects} http_duplicates={sink['http_duplicates']} "
          f"conservation={'exact' if conservation else 'BROKEN'} pending={res['pending']}")
    if lat:
        print(f"latency ms (event accepted → delivered): p50={pct(0.5):.0f} p95={pct(0.95):.0f} "
              f"p99={pct(0.99):.0f} max={lat[-1]:.0f} mean={statistics.fmean(lat):.0f}")
    print(f"elapsed={elapsed:.1f}s")
    if not resume_ok:
        print(f"work did not resume within {RESUME_WITHIN_S:.0f} s of a restart")
    ok = lost == 0 and dup_effects == 0 and conservation and res["pending"] == 0 and resume_ok
    print("RESULT:", "PASS" if ok else "FAIL")
    return ok


async def run_embedded(args: argparse.Namespace, work: Path) -> bool:
    rnd = random.Random(args.seed)
    sink_port, api_port = free_port(), free_port()
    effects = work / "effects.jsonl"
    env = {**os.environ, "TRADELANE_SECRET_KEY": SECRET}
    db_url = f"sqlite:///{work / 'tradelane.db'}"
    cfg = work / "tradelane.yaml"
    write_config(cfg, db_url, sink_port)
    sink = Proc("sink", [sys.executable, "-m", "tradelane.testing.sink", "--port", str(sink_port), "--fail-ratio",
                         "0.2", "--seed", str(args.seed), "--record", str(effects)], env, work, sink_port)
    hub = Proc("hub", [TRADELANE, "run", "-c", str(cfg), "--port", str(api_port)], env, work, api_port)
    sink.start()
    hub.start()
    key = make_key(cfg, env)
    accepted: set[str] = set()
    done = asyncio.Event()
    t0 = time.monotonic()
    loader = asyncio.create_task(load(f"http://127.0.0.1:{api_port}", key, args.events, 100, accepted, done))
    watch = ResumeWatch(sink_port, accepted)
    # three kills: two while ingesting, one while delivering
    for i in range(args.kills):
        await asyncio.sleep(rnd.uniform(1.0, 4.0))
        hub.kill9()
        await asyncio.sleep(rnd.uniform(0.1, 1.0))
        hub.start()
        watch.restarted(f"hub#{i + 1}")
    await loader
    res = await verify(db_url, sink_port, accepted, args.timeout)
    elapsed = time.monotonic() - t0
    extra = {"hub kill -9": hub.kills, **await watch.results()}
    hub.stop()
    sink.stop()
    return report("embedded, SQLite", res, accepted, effects, elapsed, extra)


class PrivatePostgres:
    """A throw-away PostgreSQL cluster we may stop with ``-m immediate`` (never the shared server)."""

    def __init__(self, work: Path) -> None:
        self.dir = work / "pg"
        self.port = free_port()
        self.bindir = Path(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip() or "/usr/bin")
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @staticmethod
    def available() -> bool:
        return shutil.which("pg_config") is not None and (os.geteuid() != 0 or shutil.which("runuser") is not None)

    def _run(self, *cmd: str) -> None:
        subprocess.run([*self.as_user, *cmd], check=True, capture_output=True)

    def init(self) -> None:
        self.dir.mkdir(parents=True)
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")
            os.chmod(self.dir.parent, 0o755)
        self._run(str(self.bindir / "initdb"), "-D", str(self.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c",
                        "CREATE DATABASE chaos"], check=True, capture_output=True)

    def start(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.dir), "-w", "-l", str(self.dir / "log"), "-o",
                  f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1", "start")

    def stop_immediate(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.dir), "-m", "immediate", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.dir), "-m", "fast", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/chaos"


async def run_distributed(args: argparse.Namespace, work: Path) -> bool:
    rnd = random.Random(args.seed + 1)
    sink_port, api_port, nats_port = free_port(), free_port(), free_port()
    effects = work / "effects.jsonl"
    env = {**os.environ, "TRADELANE_SECRET_KEY": SECRET}
    pg: PrivatePostgres | None = None
    if PrivatePostgres.available():
        pg = PrivatePostgres(work)
        pg.init()
        db_url = pg.url
    else:  # fall back to a fresh database on the shared server (no PostgreSQL restart then)
        import psycopg

        name = f"tl_chaos_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(os.environ.get("TRADELANE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
                             autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        db_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    nats_bin = shutil.which("nats-server") or str(BIN / "nats-server")
    nats = Proc("nats", [nats_bin, "-a", "127.0.0.1", "-p", str(nats_port), "-js", "-sd", str(work / "nats")],
                env, work, nats_port)
    nats.start()
    cfg = work / "tradelane.yaml"
    write_config(cfg, db_url, sink_port, bus_url=f"nats://127.0.0.1:{nats_port}", stream="CHAOS")
    sink = Proc("sink", [sys.executable, "-m", "tradelane.testing.sink", "--port", str(sink_port), "--fail-ratio",
                         "0.2", "--seed", str(args.seed), "--record", str(effects)], env, work, sink_port)
    sink.start()
    subprocess.run([TRADELANE, "db", "upgrade", "-c", str(cfg)], env=env, check=True, capture_output=True)
    api = Proc("api", [TRADELANE, "run", "--role", "api", "-c", str(cfg), "--port", str(api_port)], env, work, api_port)
    relay = Proc("relay", [TRADELANE, "run", "--role", "relay", "-c", str(cfg)], env, work)
    workers = [Proc(f"worker{i}", [TRADELANE, "run", "--role", "worker", "-c", str(cfg)], env, work) for i in range(3)]
    for p in (api, relay, *workers):
        p.start()
    key = make_key(cfg, env)
    accepted: set[str] = set()
    done = asyncio.Event()
    t0 = time.monotonic()
    loader = asyncio.create_task(load(f"http://127.0.0.1:{api_port}", key, args.events, 100, accepted, done))
    extra: dict[str, Any] = {}
    watch = ResumeWatch(sink_port, accepted)
    for i in range(args.kills):
        await asyncio.sleep(rnd.uniform(1.0, 3.0))
        w = rnd.choice(workers)
        w.kill9()
        await asyncio.sleep(rnd.uniform(0.2, 1.0))
        w.start()
        watch.restarted(f"worker#{i + 1}")
    extra["worker kill -9"] = sum(w.kills for w in workers)
    await asyncio.sleep(1.0)
    nats.kill9()
    await asyncio.sleep(2.0)
    nats.start()
    watch.restarted("nats")
    extra["nats kill -9 + restart"] = nats.kills
    if pg is not None:
        await asyncio.sleep(1.0)
        pg.stop_immediate()
        await asyncio.sleep(2.0)
        pg.start()
        watch.restarted("postgres")
        extra["postgres stop -m immediate + restart"] = 1
    else:
        extra["postgres restart"] = "skipped (no private cluster possible here)"
    await loader
    res = await verify(db_url, sink_port, accepted, args.timeout)
    elapsed = time.monotonic() - t0
    extra.update(await watch.results())
    for p in (*workers, relay, api, sink, nats):
        p.stop()
    if pg is not None:
        pg.destroy()
    return report("distributed, PostgreSQL + NATS JetStream", res, accepted, effects, elapsed, extra)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for all deliveries to finish")
    ap.add_argument("--mode", choices=["embedded", "distributed", "both"], default="both")
    args = ap.parse_args()
    ok = True
    for mode in (["embedded", "distributed"] if args.mode == "both" else [args.mode]):
        work = Path(tempfile.mkdtemp(prefix=f"tradelane-chaos-{mode}-"))
        if os.geteuid() == 0:
            os.chmod(work, 0o755)
        runner = run_embedded if mode == "embedded" else run_distributed
        ok = asyncio.run(runner(args, work)) and ok
        print(f"logs: {work}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
