"""Two Rasa servers sharing one PostgreSQL tracker store and one Redis lock store (deploy/endpoints.yml).

Each conversation's turns go alternately to the two instances, many conversations at once, and the last
two turns of each arrive at both instances at the same moment. Without the shared lock the two instances
would each append to their own stale copy of the conversation; with it every event is stored once, in
order, and each turn is whole.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict

import aiohttp
import pytest
import sqlalchemy as sa

from conftest import ROOT, start_stack
from prevent_assistant.db import engine_for
from stack_config import credentials_with

SEQUENTIAL_TURNS = [
    "hello",
    "is prevent spying on people?",
    "does prevent only target muslims?",
    "what is prevent",
    "yes",
    "thanks, that's all",
]
SIMULTANEOUS_TURNS = [
    "is prevent only about islamist extremism?",
    "will a referral give me a criminal record?",
]
CONVERSATIONS = 20


@pytest.fixture(scope="module")
def two_instances(postgres_url, redis_url, tmp_path_factory):
    # The rate-limit counters go to the shared Redis too: a prefix of this run's own, so that a second run
    # within a minute does not find this one's 160 messages from 127.0.0.1 already counted.
    limits = {"key_prefix": f"test-{uuid.uuid4().hex}"}
    with start_stack(
        postgres_url,
        instances=2,
        endpoints=ROOT / "deploy" / "endpoints.yml",
        credentials=credentials_with(tmp_path_factory.mktemp("multi"), limits),
        rasa_env={"REDIS_URL": redis_url},
    ) as stack:
        yield stack, postgres_url


async def say(session: aiohttp.ClientSession, rasa_url: str, sender: str, message: str) -> list[dict]:
    async with session.post(
        f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}
    ) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def converse(session: aiohttp.ClientSession, urls: tuple[str, ...], sender: str) -> list[list[dict]]:
    """One person's conversation, turn by turn, alternating instances; then two turns at once."""
    replies = [await say(session, urls[turn % 2], sender, text) for turn, text in enumerate(SEQUENTIAL_TURNS)]
    replies += await asyncio.gather(
        *(say(session, url, sender, text) for url, text in zip(urls, SIMULTANEOUS_TURNS, strict=True))
    )
    return replies


async def run_conversations(urls: tuple[str, ...], senders: list[str]) -> list[list[list[dict]]]:
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        return await asyncio.gather(*(converse(session, urls, sender) for sender in senders))


def stored_events(database: str, senders: list[str]) -> dict[str, list[sa.engine.Row]]:
    events = sa.table(
        "events", sa.column("id"), sa.column("sender_id"), sa.column("type_name"), sa.column("timestamp"),
        sa.column("action_name"), sa.column("data"),
    )  # fmt: skip
    query = sa.select(events).where(events.c.sender_id.in_(senders)).order_by(events.c.id)
    with engine_for(database).connect() as connection:
        rows = connection.execute(query).all()
    by_sender: dict[str, list[sa.engine.Row]] = defaultdict(list)
    for row in rows:
        by_sender[row.sender_id].append(row)
    return by_sender


def user_texts(rows: list[sa.engine.Row]) -> list[str]:
    return [json.loads(row.data)["text"] for row in rows if row.type_name == "user"]


def test_alternating_instances_store_every_event_once_and_in_order(two_instances):
    stack, database = two_instances
    assert len(stack.rasa_urls) == 2
    senders = [f"multi-{uuid.uuid4().hex}" for _ in range(CONVERSATIONS)]

    conversations = asyncio.run(run_conversations(stack.rasa_urls, senders))

    for replies in conversations:
        assert all(reply and reply[0].get("text") for reply in replies), replies
        # "yes" after the offer made by the other instance: only right if the instances share the history.
        assert replies[4][0]["text"].startswith("Here are five things people often get wrong about Prevent")

    stored = stored_events(database, senders)
    for sender in senders:
        rows = stored[sender]
        texts = user_texts(rows)
        assert texts[: len(SEQUENTIAL_TURNS)] == SEQUENTIAL_TURNS
        assert sorted(texts[len(SEQUENTIAL_TURNS) :]) == sorted(SIMULTANEOUS_TURNS)

        identities = [(row.type_name, row.timestamp, row.data) for row in rows]
        assert len(identities) == len(set(identities)), "an event was stored twice"
        timestamps = [row.timestamp for row in rows]
        assert timestamps == sorted(timestamps), "events were stored out of order"

        # Every turn is whole: the bot answered it and went back to listening before the next message.
        last_action, answered = None, True
        for row in rows:
            if row.type_name == "user":
                assert last_action == "action_listen" and answered, "two turns were interleaved"
                answered = False
            elif row.type_name == "bot":
                answered = True
            elif row.type_name == "action":
                last_action = row.action_name
        assert last_action == "action_listen"
