"""The Redis lock store shared by several Rasa instances: one conversation is handled by one at a time.

Two lock stores (as two instances would have) take turns on the same conversations from two threads, as
fast as they can; the test records every moment both held the same conversation at once.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from threads import run_in_threads

from prevent_assistant.lock_store import RedisURLLockStore

ROUNDS = 150


def hammer(stores: list[RedisLockStore], conversations: list[str]) -> list[str]:
    """Each store, in its own thread, locks each conversation ROUNDS times; returns what went wrong: two
    holders at once, or a store that lost its ticket (Rasa's LockError)."""
    holders: dict[str, int] = {conversation: 0 for conversation in conversations}
    overlaps: list[str] = []
    guard = threading.Lock()

    async def take_turns(store: RedisLockStore) -> None:
        try:
            await turns(store)
        except LockError as error:
            overlaps.append(f"lost ticket: {error}")

    async def turns(store: RedisLockStore) -> None:
        for _ in range(ROUNDS):
            for conversation in conversations:
                async with store.lock(conversation, lock_lifetime=5, wait_time_in_seconds=0.001):
                    with guard:
                        holders[conversation] += 1
                        if holders[conversation] > 1:
                            overlaps.append(conversation)
                    await asyncio.sleep(0)
                    with guard:
                        holders[conversation] -= 1

    # Any other exception in a thread, or a thread still running after two minutes, fails the test.
    run_in_threads([lambda store=store: asyncio.run(take_turns(store)) for store in stores], timeout=120)
    return overlaps


@pytest.fixture
def stores(redis_url, monkeypatch) -> list[RedisURLLockStore]:
    monkeypatch.setenv("REDIS_URL", redis_url)
    prefix = f"test{uuid.uuid4().hex}"
    return [RedisURLLockStore(EndpointConfig(key_prefix=prefix)) for _ in range(2)]


def test_two_instances_never_hold_the_same_conversation_at_once(stores):
    assert hammer(stores, [f"c{i}" for i in range(3)]) == []


def test_rasa_s_own_redis_lock_store_does_let_two_hold_it_which_is_why_the_scripts_exist(stores):
    """Guards the guard: with Rasa's own read-change-write steps, the same load finds an overlap."""
    bare = [RedisLockStore.__new__(RedisLockStore) for _ in stores]
    for plain, store in zip(bare, stores, strict=True):
        plain.__dict__.update(store.__dict__)
    assert hammer(bare, [f"c{i}" for i in range(3)]) != []


def test_the_scripts_keep_rasa_s_format_and_ticket_order(stores):
    store, other = stores
    first = store.issue_ticket("order", lock_lifetime=30)
    second = other.issue_ticket("order", lock_lifetime=30)
    lock = other.get_lock("order")  # Rasa's own reading of the stored value
    assert (first, second) == (0, 1)
    assert [ticket.number for ticket in lock.tickets] == [0, 1] and lock.conversation_id == "order"
    assert not lock.is_locked(first) and lock.is_locked(second)
    assert all(abs(ticket.expires - time.time() - 30) < 5 for ticket in lock.tickets)
    store.cleanup("order", first)
    assert not other.get_lock("order").is_locked(second)
    other.cleanup("order", second)
    assert store.red.get(store.key_prefix + "order") is None  # no ticket left: the lock is gone


def test_expired_tickets_are_dropped_and_numbering_goes_on(stores):
    store, _ = stores
    store.issue_ticket("expiring", lock_lifetime=-1)  # already expired, like a crashed instance's
    live = store.issue_ticket("expiring", lock_lifetime=30)
    assert live == 0  # Rasa drops expired tickets before numbering, so the queue starts again
    store.update_lock("expiring")
    assert [ticket.number for ticket in store.get_lock("expiring").tickets] == [0]
    store.cleanup("expiring", live)


def test_redis_unreachable_is_rasa_s_lock_error(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    with pytest.raises(LockError, match="Error while acquiring lock"):
        RedisURLLockStore().issue_ticket("nowhere")


def test_the_url_gives_host_port_database_and_password(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://:s%40cret@cache.internal:6380/3")
    store = RedisURLLockStore(EndpointConfig(key_prefix="prevent"))
    options = store.red.connection_pool.connection_kwargs
    assert (options["host"], options["port"], options["db"], options["password"]) == (
        "cache.internal", 6380, 3, "s@cret",
    )  # fmt: skip


def test_a_missing_or_wrong_url_is_a_plain_error(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(ValueError, match="REDIS_URL"):
        RedisURLLockStore()
    monkeypatch.setenv("REDIS_URL", "http://127.0.0.1:6379")
    with pytest.raises(ValueError, match="redis://"):
        RedisURLLockStore()
