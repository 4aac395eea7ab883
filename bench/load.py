"""Load generation with aiohttp: one conversation at a time, and open-loop load at a fixed offered rate.

Open loop, and why. A closed-loop generator (N users, each sending when its last reply arrives) slows down
when the server slows down, so the server is never asked for more than it can give and queueing delay
disappears from the figures ("coordinated omission"). Here every message's send time is fixed before the
run starts: message i of a run at R messages/s is due at i/R seconds. Latency is measured from that due
time, so time spent waiting to be sent (because the server is behind) counts.

People wait for an answer before typing the next message, so a conversation's next turn is never sent
before its previous reply arrived. Due times are dealt round-robin to enough concurrent conversations
(`rate x think_time`, so a person's turns are `think_time` seconds apart) that this only binds when replies
take longer than the think time, which is already a failure; when it binds the message is sent late and the
lateness counts in its latency. How often it bound is reported (`waited`). A message that could not be
sent within the timeout of its due time counts as a timeout without being sent, as that person would have
given up; this also bounds how long an overloaded run takes.

The generator runs on the same 2 cores as the server, so it also reports its own lateness (`client_lag`:
how late messages left when nothing held them back); a large lag would mean the client, not the server, was
the limit.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.conversations import Conversation, Turn, conversations
from bench.stats import summary_ms

SUSTAINED_P95_MS = 500.0


@dataclass
class Outcome:
    """One message: when it was due, how long until its reply, and what went wrong, if anything."""

    due: float  # seconds from the start of the run
    latency: float  # due time (open loop) or send time (one at a time) to reply or failure, in seconds
    error: str | None  # None, "http_<status>", "timeout", "connection", "empty" or "bad_json"
    unexpected: bool  # a reply came, but without the fragment the script expects
    kind: str
    waited: bool = False  # held back because the conversation's previous reply came after this due time
    lag: float = 0.0  # how late it left when nothing held it back (the client's own scheduling delay)
    measured: bool = True  # False during the warm-up


def client_session(timeout: float) -> aiohttp.ClientSession:
    """A new connection for every message, as many separate people would make.

    Reused connections would be wrong twice over: with several Sanic workers, a connection stays with the
    worker that accepted it, so a small pool of busy connections pins nearly all the load on one worker
    (measured: 0.63 cores on one, 0.03 on the other); and Sanic closes idle keep-alive connections after
    5 s, so a reused one can fail mid-request for reasons that say nothing about capacity. People's turns
    are seconds apart, longer than a browser keeps an idle connection to the server.
    """
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout))


async def post(
    session: aiohttp.ClientSession, url: str, sender: str, turn: Turn, check: bool = True
) -> tuple[str | None, bool]:
    """Send one message; (error or None, whether the reply lacked the expected fragment).

    `check=False` is for the stock bot, which knows nothing of Prevent: only a reply's arrival counts, and
    an empty reply is its legitimate choice (it may predict `action_listen` straight away), not an error.
    """
    try:
        async with session.post(url, json={"sender": sender, "message": turn.text}) as response:
            if response.status != 200:
                await response.read()
                return f"http_{response.status}", False
            body = await response.json(content_type=None)
    except asyncio.TimeoutError:
        return "timeout", False
    except (aiohttp.ClientError, OSError):
        return "connection", False
    except ValueError:
        return "bad_json", False
    if not check:
        return None, False
    if not body:
        return "empty", False
    texts = " ".join(str(message.get("text") or "") for message in body if isinstance(message, dict))
    return None, turn.expect not in texts


def _next(stream: Iterator[Conversation], current: Conversation | None) -> Conversation:
    return next(stream) if current is None or current.finished else current


async def interleaved(
    servers: dict[str, tuple[str, bool]], messages: int, warmup: int, seed: int, timeout: float
) -> dict[str, list[Outcome]]:
    """Whole scripted conversations, one message at a time (the latency a person sees on an idle server),
    on several servers (key: webhook URL, and whether to check replies) in the same minutes: one message
    to each in turn, the order rotating every round, so each gets the same conversations and a change in
    the shared machine's speed touches them all alike."""
    streams = {key: conversations(seed) for key in servers}
    current: dict[str, Conversation | None] = dict.fromkeys(servers)
    outcomes: dict[str, list[Outcome]] = {key: [] for key in servers}
    keys = list(servers)
    async with client_session(timeout) as session:
        for index in range(warmup + messages):
            for key in keys[index % len(keys) :] + keys[: index % len(keys)]:
                url, check = servers[key]
                conversation = current[key] = _next(streams[key], current[key])
                turn = conversation.next_turn()
                started = time.perf_counter()
                error, unexpected = await post(session, url, conversation.sender, turn, check)
                latency = time.perf_counter() - started
                outcomes[key].append(
                    Outcome(0.0, latency, error, unexpected, turn.kind, measured=index >= warmup)
                )
    return outcomes


async def open_loop(
    url: str,
    rate: float,
    duration: float,
    warmup: float,
    think_time: float,
    timeout: float,
    seed: int,
    check: bool = True,
) -> list[Outcome]:
    """`rate` messages/s for `warmup + duration` seconds; only messages due after the warm-up are measured."""
    total = math.ceil(rate * (warmup + duration))
    slots = max(4, math.ceil(rate * think_time))
    stream = conversations(seed)
    loop = asyncio.get_running_loop()
    outcomes: list[Outcome] = []

    async def person(session: aiohttp.ClientSession, first: int, start: float) -> None:
        conversation: Conversation | None = None
        for index in range(first, total, slots):
            conversation = _next(stream, conversation)
            turn = conversation.next_turn()
            due = index / rate
            now = loop.time() - start
            waited = now > due + 0.001
            if not waited:
                await asyncio.sleep(due - now)
            sent = loop.time() - start
            measured = due >= warmup
            if sent - due > timeout:  # nobody waits this long: give up without sending
                outcomes.append(Outcome(due, sent - due, "timeout", False, turn.kind, True, 0.0, measured))
                continue
            error, unexpected = await post(session, url, conversation.sender, turn, check)
            latency = loop.time() - start - due
            lag = 0.0 if waited else sent - due
            outcomes.append(Outcome(due, latency, error, unexpected, turn.kind, waited, lag, measured))

    async with client_session(timeout) as session:
        start = loop.time() + 0.2  # time to create every conversation's task before the first is due
        await asyncio.gather(*(person(session, slot, start) for slot in range(slots)))
    return outcomes


async def wait_until_idle(url: str, timeout: float = 60.0, fast_seconds: float = 0.25) -> float:
    """After an overload, wait until the server has worked off its backlog (two quick replies in a row);
    the next run must not start with the previous one's queue. Returns the seconds it took."""
    started = time.perf_counter()
    quick_in_a_row = 0
    async with client_session(10.0) as session:
        while time.perf_counter() - started < timeout and quick_in_a_row < 2:
            sent = time.perf_counter()
            error, _ = await post(session, url, f"bench-probe-{uuid.uuid4().hex}", Turn("hello", ""), False)
            quick = error is None and time.perf_counter() - sent < fast_seconds
            quick_in_a_row = quick_in_a_row + 1 if quick else 0
            await asyncio.sleep(0.2)
    return round(time.perf_counter() - started, 1)


def summarise(outcomes: list[Outcome], seconds: float | None = None) -> dict[str, Any]:
    """Latency percentiles, error counts by cause, and the throughput actually achieved.

    Failed messages keep their latency (time until the failure) in the percentiles: dropping them would
    make an overloaded server look faster.
    """
    measured = [o for o in outcomes if o.measured]
    errors = Counter(o.error for o in measured if o.error)
    kinds = sorted({o.kind for o in measured})
    result: dict[str, Any] = {
        "latency_ms": summary_ms([o.latency for o in measured]),
        "by_kind_ms": {kind: summary_ms([o.latency for o in measured if o.kind == kind]) for kind in kinds},
        "messages": len(measured),
        "errors": sum(errors.values()),
        "errors_by_cause": dict(errors),
        "unexpected_replies": sum(o.unexpected for o in measured),
        "warmup_errors": sum(1 for o in outcomes if not o.measured and o.error),
    }
    if seconds:
        replies = sum(1 for o in measured if o.error is None)
        result["achieved_per_s"] = round(replies / seconds, 1)
        result["waited_for_previous_reply"] = sum(o.waited for o in measured)
        result["client_lag_ms"] = summary_ms([o.lag for o in measured if not o.waited])
    return result


def sustained(summary: dict[str, Any]) -> bool:
    """The criterion for a sustained rate: p95 within 500 ms, and not one error."""
    p95 = summary["latency_ms"]["p95"]
    return summary["errors"] == 0 and p95 is not None and p95 <= SUSTAINED_P95_MS
