"""Rasa's Redis lock store, configured by the REDIS_URL environment variable.

Two Rasa instances (or several Sanic workers) must not handle the same conversation at the same time, or
they would each append to a stale copy of it. Rasa serialises a conversation's messages with a lock; the
lock must live where every instance sees it. Reading one URL, like DATABASE_URL for the tracker store,
keeps a deployment to one setting per service and keeps the password out of endpoints.yml.

Rasa 3.6's RedisLockStore keeps each conversation's queue of tickets as one JSON value that it reads,
changes and writes back with no guard, so two instances issuing or returning tickets at the same moment
can overwrite each other: both then hold "ticket 0", or one waits a whole lock lifetime for a ticket that
was already returned. This store does each of those read-change-write steps under a short Redis mutex.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.lock import Lock as RedisMutex

from prevent_assistant.settings import REDIS_URL_VARIABLE


class RedisURLLockStore(RedisLockStore):
    """RedisLockStore on REDIS_URL (`redis://[:password@]host[:port][/db]`, or `rediss://` for TLS)."""

    def __init__(self, endpoint_config: EndpointConfig | None = None) -> None:
        url = os.environ.get(REDIS_URL_VARIABLE, "").strip()
        if not url:
            raise ValueError(
                f"the Redis lock store needs {REDIS_URL_VARIABLE}, e.g. redis://127.0.0.1:6379/1"
            )
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError(f"{REDIS_URL_VARIABLE} must start with redis:// or rediss://")
        options = endpoint_config.kwargs if endpoint_config else {}
        super().__init__(
            host=parts.hostname or "localhost",
            port=parts.port or 6379,
            db=int(parts.path.lstrip("/") or 0),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_ssl=parts.scheme == "rediss",
            key_prefix=options.get("key_prefix"),
        )

    def _bookkeeping(self, conversation_id: str) -> RedisMutex:
        """A mutex around one change to the conversation's ticket queue (held for milliseconds)."""
        return self.red.lock(f"{self.key_prefix}{conversation_id}:bookkeeping", timeout=5, blocking_timeout=5)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._bookkeeping(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        with self._bookkeeping(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._bookkeeping(conversation_id):
            super().cleanup(conversation_id, ticket_number)
