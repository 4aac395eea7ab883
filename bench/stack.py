"""The stack under test: a fresh database, the configurations compared, and their start-up and processes.

Servers are started by `prevent_assistant.serve.running_stack`, the code `make run` and the tests use, so
the benchmark measures what is deployed. What the benchmark adds:

* a database of its own on the machine's PostgreSQL (created, migrated, dropped), as in production; if
  PostgreSQL is unreachable, a SQLite file, and the report says so, because the figures are then not the
  production set-up's;
* a copy of credentials.yml with every channel's rate limiting off: the load comes from one client address,
  so a per-client limit would measure the limit, not the server;
* start-to-ready times: from the Rasa process's start until its first webhook reply, and, with several
  Sanic workers, until every worker has loaded the model (`/` answers as soon as the first one has);
* the process tree, to confirm how many Sanic workers really run, and their memory and CPU time.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench import anchor, procfs
from bench.conversations import Turn
from bench.load import client_session, post
from prevent_assistant.serve import Stack, running_stack

POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
READY_LINE = "Rasa server is up and running."


@dataclass(frozen=True)
class Configuration:
    """One way of running the Rasa server; the report shows each figure for every configuration."""

    key: str
    title: str
    endpoints: Path | None  # None: the project's endpoints.yml
    rasa_env: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    stock: bool = False  # the anchor (bench/anchor.py): Rasa's starter bot, not this assistant


def configurations(root: Path, redis_url: str | None, extra_env: dict[str, str]) -> list[Configuration]:
    """S: the stock `rasa init` bot, measured first, the anchor for every latency ratio. A: as `make run`
    (one process, one worker, in-memory lock store). B: the multi-instance endpoints with the Redis lock
    store, which is what lets Rasa run more than one Sanic worker (it ignores SANIC_WORKERS with the
    in-memory lock store)."""
    found = [
        Configuration(anchor.KEY, anchor.TITLE, None, stock=True),
        Configuration(
            "A",
            "1 Rasa process, 1 Sanic worker, endpoints.yml (in-memory lock store)",
            None,
            {**extra_env, "SANIC_WORKERS": "1"},
        ),
    ]
    if redis_url:
        found.append(
            Configuration(
                "B",
                "1 Rasa process, SANIC_WORKERS=2, deploy/endpoints.yml (Redis lock store)",
                root / "deploy" / "endpoints.yml",
                {**extra_env, "REDIS_URL": redis_url, "SANIC_WORKERS": "2"},
                workers=2,
            )
        )
    return found


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@contextmanager
def fresh_database(work_dir: Path) -> Iterator[dict[str, str]]:
    """A new PostgreSQL database for one configuration, dropped afterwards; SQLite if PostgreSQL is down."""
    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    name = f"prevent_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            version = connection.execute(sa.text("SHOW server_version")).scalar_one()
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        path = work_dir / f"{name}.db"
        yield {
            "url": f"sqlite:///{path}",
            "engine": "SQLite",
            "note": f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL} ({type(error.orig).__name__}): "
            "SQLite file instead, which production does not use; the figures are not comparable.",
        }
        return
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield {"url": url, "engine": f"PostgreSQL {version}", "note": ""}
    finally:
        from prevent_assistant.db import engine_for

        engine_for(url).dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def disable_rate_limits(channels: dict[str, Any]) -> list[str]:
    """Switch off every channel's rate limiting in a loaded credentials.yml, in place; the channels changed.

    The documented way (credentials.yml, prevent_assistant/rate_limit.py) is `rate_limit: {enabled: false}`.
    The project's own channels (`prevent_assistant.…`) apply default limits when the block is left out, so
    they get one whether or not they have it; any other channel only if it has a `rate_limit` block. A 429
    during the run is still reported, as an error `http_429`, so a channel this misses cannot pass unnoticed.
    """
    changed = []
    for name in list(channels):
        settings = channels[name] if isinstance(channels[name], dict) else {}
        if "rate_limit" not in settings and not str(name).startswith("prevent_assistant."):
            continue
        limit = settings.get("rate_limit")
        settings["rate_limit"] = {**(limit if isinstance(limit, dict) else {}), "enabled": False}
        channels[name] = settings
        changed.append(name)
    return changed


def credentials_without_rate_limits(source: Path, work_dir: Path) -> tuple[Path, list[str]]:
    channels = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    changed = disable_rate_limits(channels)
    copy = work_dir / "credentials.yml"
    copy.write_text(yaml.safe_dump(channels, sort_keys=False), encoding="utf-8")
    return copy, changed


@dataclass
class RunningConfiguration:
    """A started stack, with what was learnt while starting it."""

    configuration: Configuration
    stack: Stack
    database: dict[str, str]
    started: dict[str, Any]

    @property
    def webhook_url(self) -> str:
        return self.stack.webhook_url

    def pids(self) -> dict[str, int]:
        """actions (none for the stock bot), rasa, and rasa-worker-N for each Sanic worker process (children
        of the Rasa process)."""
        processes = self.stack.processes
        assert processes is not None
        found = {name: processes.pid(name) for name in ("actions", "rasa") if name in processes.servers}
        for index, child in enumerate(procfs.children(found["rasa"]), start=1):
            found[f"rasa-worker-{index}"] = child
        return found

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {name: procfs.snapshot(pid) for name, pid in self.pids().items()}


async def _first_reply(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with client_session(10.0) as session:
        while time.monotonic() < deadline:
            error, _ = await post(session, url, f"bench-ready-{uuid.uuid4().hex}", Turn("hello", ""))
            if error is None:
                return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"no webhook reply from {url} within {timeout:.0f} s")


def _wait_for_ready_lines(log_file: Path, count: int, timeout: float) -> bool:
    """Wait until `count` workers have logged that they loaded the model; False if they did not in time
    (for example when LOG_LEVEL hides Rasa's info messages)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log_file.exists() and log_file.read_text(errors="replace").count(READY_LINE) >= count:
            return True
        time.sleep(0.1)
    return False


@contextmanager
def servers(
    configuration: Configuration,
    model: Path,
    ports: tuple[int, int],
    credentials: Path,
    log_dir: Path,
    work_dir: Path,
) -> Iterator[tuple[Stack, dict[str, str]]]:
    """This assistant's stack on a fresh database, or the stock bot on its in-memory stores."""
    if configuration.stock:
        with anchor.serving(model, ports[0], log_dir) as stack:
            yield stack, {"url": "", "engine": "in-memory (stock bot)", "note": ""}
        return
    with (
        fresh_database(work_dir) as database,
        running_stack(
            model,
            ports[0],
            ports[1],
            log_dir=log_dir,
            database=database["url"],
            endpoints=configuration.endpoints,
            credentials=credentials,
            rasa_env=configuration.rasa_env,
        ) as stack,
    ):
        yield stack, database


@contextmanager
def started(
    configuration: Configuration,
    starting: AbstractContextManager[tuple[Stack, dict[str, str]]],
    log_dir: Path,
) -> Iterator[RunningConfiguration]:
    """Start the configuration's `servers`; ready times and the worker count are measured here."""
    with starting as (stack, database):
        assert stack.processes is not None
        entered = time.monotonic()
        rasa = stack.processes.servers["rasa"]
        # running_stack returns as soon as `/` answers; the Rasa process started that long before.
        process_started = entered - rasa.seconds_to_ready
        asyncio.run(_first_reply(stack.webhook_url, 60.0))
        first_reply = time.monotonic() - process_started
        # One worker answering is the whole server; with several, `/` answers once the first is ready.
        all_workers: float | None = first_reply
        if configuration.workers > 1:
            quiet = configuration.rasa_env.get("LOG_LEVEL", "INFO").upper() not in ("DEBUG", "INFO")
            loaded = not quiet and _wait_for_ready_lines(log_dir / "rasa.log", configuration.workers, 120.0)
            all_workers = time.monotonic() - process_started if loaded else None
        running = RunningConfiguration(configuration, stack, database, {})
        actions = stack.processes.servers.get("actions")
        workers = [name for name in running.pids() if name.startswith("rasa-worker-")]
        running.started = {
            "actions_ready_s": round(actions.seconds_to_ready, 1) if actions else None,
            "rasa_root_answers_s": round(rasa.seconds_to_ready, 1),
            "rasa_first_reply_s": round(first_reply, 1),
            "rasa_all_workers_loaded_s": None
            if all_workers is None
            else round(max(first_reply, all_workers), 1),
            "worker_processes": len(workers) if workers else 1,
            "worker_processes_note": _worker_note(running, workers),
        }
        yield running


def _worker_note(running: RunningConfiguration, workers: list[str]) -> str:
    """What the process tree shows: Sanic forks one child per worker and serves only from the children."""
    pids = running.pids()
    if not workers:
        return f"no child processes: the Rasa process (pid {pids['rasa']}) serves requests itself"
    listing = ", ".join(f"{name} pid {pids[name]}" for name in workers)
    return f"Rasa process pid {pids['rasa']} forked {len(workers)} Sanic workers: {listing}"
