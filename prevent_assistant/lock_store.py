"""Rasa's Redis lock store, configured by the REDIS_URL environment variable.

Two Rasa instances (or several Sanic workers) must not handle the same conversation at the same time, or
they would each append to a stale copy of it. Rasa serialises a conversation's messages with a lock; the
lock must live where every instance sees it. Reading one URL, like DATABASE_URL for the tracker store,
keeps a deployment to one setting per service and keeps the password out of endpoints.yml.

Rasa 3.6's RedisLockStore keeps each conversation's queue of tickets as one JSON value that it reads,
changes and writes back with no guard, so two instances issuing or returning tickets at the same moment
can overwrite each other: both then hold "ticket 0", or one waits a whole lock lifetime for a ticket that
was already returned. This store does each of those read-change-write steps as one Lua script, which Redis
runs atomically: one round trip each, where Rasa's steps and a mutex around them took eleven a message
(about 2 ms on loopback, with the event loop blocked meanwhile). The value keeps Rasa's format exactly
(`rasa.core.lock.TicketLock.dumps`: the tickets are JSON strings inside a JSON list), so Rasa's own
`get_lock` reads it, and the time is the caller's clock, as in Rasa.
"""

from __future__ import annotations

import os
import time
from urllib.parse import unquote, urlsplit

from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import RedisError

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

        self._issue = self.red.register_script(_ISSUE_TICKET)
        self._update = self.red.register_script(_REMOVE_TICKETS)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket after the last one (0 if none), as Rasa's; a Redis failure is Rasa's LockError."""
        key = self.key_prefix + conversation_id
        arguments = [conversation_id, repr(time.time()), repr(lock_lifetime)]
        try:
            return int(self._issue(keys=[key], args=arguments))
        except RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets (Rasa calls this while it waits for the lock)."""
        self._update(keys=[self.key_prefix + conversation_id], args=[conversation_id, repr(time.time()), ""])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Return `ticket_number` and drop expired tickets; delete the lock when no ticket is left."""
        key = self.key_prefix + conversation_id
        self._update(keys=[key], args=[conversation_id, repr(time.time()), str(ticket_number)])


# Both scripts read the lock as Rasa stores it and write it back the same way. ARGV: the conversation id,
# the caller's time.time(), then the lifetime of the new ticket (_ISSUE_TICKET) or the number of the
# ticket to return, or "" (_REMOVE_TICKETS).
_READ_TICKETS = """
local now = tonumber(ARGV[2])
local tickets = {}
local stored = redis.call('GET', KEYS[1])
if stored then
  for _, encoded in ipairs(cjson.decode(stored)['tickets'] or {}) do
    local ticket = cjson.decode(encoded)
    if now <= ticket['expires'] then table.insert(tickets, ticket) end
  end
end
local function write(kept)
  if #kept == 0 then redis.call('DEL', KEYS[1]) return end
  local encoded = {}
  for index, ticket in ipairs(kept) do
    encoded[index] = cjson.encode(string.format('{"number": %d, "expires": %.6f}', ticket['number'],
      ticket['expires']))
  end
  redis.call('SET', KEYS[1], string.format('{"conversation_id": %s, "tickets": [%s]}', cjson.encode(ARGV[1]),
    table.concat(encoded, ', ')))
end
"""
_ISSUE_TICKET = (
    _READ_TICKETS
    + """
local number = 0
if #tickets > 0 then number = tickets[#tickets]['number'] + 1 end
table.insert(tickets, {number = number, expires = now + tonumber(ARGV[3])})
write(tickets)
return number
"""
)
_REMOVE_TICKETS = (
    _READ_TICKETS
    + """
local kept = {}
for _, ticket in ipairs(tickets) do
  if tostring(ticket['number']) ~= ARGV[3] then table.insert(kept, ticket) end
end
write(kept)
return #kept
"""
)
