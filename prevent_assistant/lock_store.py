"""Rasa's Redis lock store, configured by the REDIS_URL environment variable.

Two Rasa instances (or several Sanic workers) must not handle the same conversation at the same time, or
they would each append to a stale copy of it. Rasa serialises a conversation's messages with a lock; the
lock must live where every instance sees it. Reading one URL, like DATABASE_URL for the tracker store,
keeps a deployment to one setting per service and keeps the password out of endpoints.yml.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

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
