"""Per-sender and per-address rate limits for the public chat channels, counted by the `limits` library.

One sender id sending faster than a person types is a script or a stuck client; one address sending faster
than a busy office or school could is an attack. Both would slow the assistant down for everyone else, so
each channel counts messages per sender id and per client address, with limits set in credentials.yml.

Counters live in this process's memory, or in Redis when REDIS_URL is set (the Redis that also holds
the conversation locks), so that several Rasa servers behind a load balancer, or several Sanic workers,
share them. The limiter fails open: if Redis cannot be reached, messages are
served unlimited (with a warning in the log) rather than refused, because a chat that worried people use
must not go down because its limiter's store did.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import os
import time
from collections.abc import Mapping
from typing import Any

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from prevent_assistant.settings import REDIS_URL_VARIABLE

logger = logging.getLogger(__name__)

# The values credentials.yml ships with, used when a channel has no `rate_limit` block; the reasons for
# them are in credentials.yml.
DEFAULT_PER_SENDER = "20/minute"
DEFAULT_PER_ADDRESS = "300/minute"
DEFAULT_KEY_PREFIX = "prevent-assistant"
# A Redis that does not answer within this long counts as down: a message should not wait on it.
REDIS_TIMEOUT_SECONDS = 0.5
# After Redis fails, it is not asked again for this long, so an outage costs one timeout (and one
# warning) per period rather than one per message.
STORAGE_RETRY_SECONDS = 30.0
SETTING_KEYS = {"enabled", "per_sender", "per_address", "key_prefix"}


class RateLimited(Exception):
    """A message over a limit: `scope` is "sender" or "address"; retry after `retry_after` seconds."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"too many messages from this {scope}")
        self.scope = scope
        self.retry_after = retry_after


class RateLimiter:
    """Counts one channel's messages per sender id and per client address in fixed windows.

    Fixed windows, not moving ones: each counter is a single number with an expiry (in memory and in
    Redis), which gives an exact Retry-After and lets the in-memory store drop counters once they expire.
    The cost is that a sender can fit up to twice a limit around a window's edge, which is fine for
    keeping scripts from flooding the assistant.
    """

    def __init__(
        self,
        channel: str,
        per_sender: str | None = DEFAULT_PER_SENDER,
        per_address: str | None = DEFAULT_PER_ADDRESS,
        storage_url: str | None = None,
        key_prefix: str = DEFAULT_KEY_PREFIX,
    ) -> None:
        self.channel = channel
        self.key_prefix = key_prefix
        self.limits = {"sender": _parse(per_sender), "address": _parse(per_address)}
        self.storage_url = storage_url or "memory://"
        options = {}
        if not self.storage_url.startswith("memory://"):
            options = {
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
            }
        # Connects lazily: the server starts even when Redis is down, and the first message finds out.
        self.storage: Storage = storage_from_string(self.storage_url, **options)
        self.strategy = FixedWindowRateLimiter(self.storage)  # keeps only a weak reference to storage
        self._storage_down_until = 0.0

    @classmethod
    def from_settings(cls, channel: str, settings: Mapping[str, Any] | None) -> RateLimiter | None:
        """The limiter for a channel's `rate_limit` settings in credentials.yml; None if `enabled: false`.

        A missing block means the defaults, so a channel is never left unlimited by omission.
        """
        settings = dict(settings or {})
        unknown = set(settings) - SETTING_KEYS
        if unknown:
            raise ValueError(
                f"{channel}.rate_limit: unknown setting(s) {', '.join(sorted(unknown))}; "
                f"expected {', '.join(sorted(SETTING_KEYS))}"
            )
        enabled = settings.pop("enabled", True)
        if not isinstance(enabled, bool):
            raise ValueError(f"{channel}.rate_limit.enabled must be true or false")
        if not enabled:
            return None
        return cls(channel, storage_url=os.environ.get(REDIS_URL_VARIABLE) or None, **settings)

    async def check_address(self, address: str) -> None:
        """Counts one message from `address`; raises RateLimited if it is over the per-address limit."""
        await self._check("address", address)

    async def check_sender(self, sender: str) -> None:
        """Counts one message from `sender`; raises RateLimited if it is over the per-sender limit."""
        await self._check("sender", sender)

    async def _check(self, scope: str, value: str) -> None:
        items = self.limits[scope]
        if not items or time.monotonic() < self._storage_down_until:
            return
        try:
            # In a thread: a Redis round trip (or its timeout) must not hold up other conversations.
            retry_after = await asyncio.to_thread(self._hit, scope, value, items)
        except Exception as error:  # noqa: BLE001 - any storage failure means: serve without limits
            self._storage_down_until = time.monotonic() + STORAGE_RETRY_SECONDS
            logger.warning(
                "rate limit storage is unavailable (%s: %s); %s messages are served without limits "
                "for the next %.0f s",
                type(error).__name__,
                error,
                self.channel,
                STORAGE_RETRY_SECONDS,
            )
            return
        if retry_after is not None:
            raise RateLimited(scope, retry_after)

    def _hit(self, scope: str, value: str, items: list[RateLimitItem]) -> int | None:
        """Counts the message against each limit; the seconds until the first full one resets, or None."""
        # Hashed: the store holds no raw addresses or ids, and odd characters cannot reshape the key.
        identifiers = (self.key_prefix, self.channel, scope, hashlib.blake2b(value.encode()).hexdigest()[:32])
        for item in items:
            if not self.strategy.hit(item, *identifiers):
                reset, _ = self.strategy.get_window_stats(item, *identifiers)
                # The store keeps whole seconds, so the window may end up to a second after `reset`.
                return min(item.get_expiry(), max(1, math.ceil(reset - time.time()) + 1))
        return None


def _parse(limits: str | None) -> list[RateLimitItem]:
    """ "20/minute", "5 per 10 seconds; 20/minute" etc. (the `limits` library's notation); None: no limit."""
    if limits is None:
        return []
    try:
        return parse_many(str(limits))
    except ValueError:
        raise ValueError(
            f"rate limit {limits!r} is not understood; write it like '20/minute' or '5 per 10 seconds'"
        ) from None
