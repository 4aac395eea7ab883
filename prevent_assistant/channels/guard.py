"""What every public chat channel (the widget and REST) does with a request before and after Rasa sees it.

Anyone on the internet can post to these endpoints, so each request is checked in one place, the same
way for both channels: size, JSON, UTF-8, a random sender id, a text message, and the rate limits. A
refusal is a 4xx with a reason a developer can act on; a failure inside Rasa is a 503 with a reason. The
log gets the cause, never the message text, because what people type here can be about someone they are
worried about.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from collections.abc import Awaitable, Callable, Mapping
from functools import cache
from typing import Any

import yaml
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant import action_validation
from prevent_assistant.paths import PROJECT, PROJECT_ROOT
from prevent_assistant.rate_limit import RateLimited, RateLimiter

# The Rasa server imports this module when it loads the channels in credentials.yml: the one point of its
# start-up the project controls without sitecustomize. Its check of action-server replies is replaced
# there by one that compiles the schema once (prevent_assistant/action_validation.py).
action_validation.install()

logger = logging.getLogger(__name__)

WORDING_FILE = PROJECT.content("widget")
# A random id, never anything personal; 8+ characters so that two people never share a conversation by
# choosing the same short id (as Rasa's stock channel does when the sender is missing: "default").
SENDER = re.compile(r"[A-Za-z0-9_-]{8,64}")
SENDER_RULE = "sender must be a random id of 8-64 letters, digits, '-' or '_'"
BODY_SHAPE = '{"sender": "...", "message": "..."}'


class BadRequest(Exception):
    """A request the channel refuses, with the HTTP status and a reason a developer can act on.

    `details` are extra fields for the JSON body and `headers` extra response headers (a 429 has both).
    """

    def __init__(
        self,
        status: int,
        reason: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.details = dict(details or {})
        self.headers = dict(headers or {})


def parse_message(body: bytes | None, max_body_bytes: int, max_message_chars: int) -> tuple[str, str]:
    """(sender, message) from a valid request body, or BadRequest saying what is wrong with it.

    NUL characters are dropped from the message: they carry nothing a person typed, and PostgreSQL
    refuses to store them.
    """
    raw = body or b""
    if len(raw) > max_body_bytes:
        raise BadRequest(413, f"request body is larger than {max_body_bytes} bytes")
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest(400, "request body is not valid UTF-8") from None
    except json.JSONDecodeError:
        raise BadRequest(400, f"request body must be JSON: {BODY_SHAPE}") from None
    if not isinstance(parsed, dict):
        raise BadRequest(400, f"request body must be a JSON object: {BODY_SHAPE}")
    sender, message = parsed.get("sender"), parsed.get("message")
    if not isinstance(sender, str) or not SENDER.fullmatch(sender):
        raise BadRequest(400, SENDER_RULE)
    if not isinstance(message, str):
        raise BadRequest(400, "message must be a string")
    if len(message) > max_message_chars:
        raise BadRequest(413, f"message is longer than {max_message_chars} characters")
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate escape such as "\ud800": no character at all
        raise BadRequest(400, "message is not valid Unicode text") from None
    return sender, message.replace("\x00", "")


def rate_limiter_for(channel: str, settings: Mapping[str, Any] | None) -> RateLimiter | None:
    """The channel's limiter from its `rate_limit` settings; its 429 wording is checked now, at start-up."""
    limiter = RateLimiter.from_settings(channel, settings)
    if limiter:
        rate_limited_message()
    return limiter


def client_address(request: Request) -> str:
    """The address the request came from.

    Sanic's `remote_addr` is the proxied address, and is set only when the server is told it is behind a
    proxy (SANIC_PROXIES_COUNT, SANIC_REAL_IP_HEADER or SANIC_FORWARDED_SECRET); without that it is empty
    and X-Forwarded-For is ignored, so a client cannot pick its own address. Otherwise: the socket's peer.
    """
    return request.remote_addr or request.ip


async def admit(
    request: Request, max_body_bytes: int, max_message_chars: int, limiter: RateLimiter | None
) -> tuple[str, str]:
    """(sender, message) of a request that passes every check and limit, or BadRequest.

    The address is counted before the body is parsed, so a flood of junk is limited too; the sender only
    once it is known to be valid.
    """
    try:
        if limiter:
            await limiter.check_address(client_address(request))
        sender, message = parse_message(request.body, max_body_bytes, max_message_chars)
        if limiter:
            await limiter.check_sender(sender)
    except RateLimited as limited:
        raise too_many_requests(limited) from None
    return sender, message


def too_many_requests(limited: RateLimited) -> BadRequest:
    """429 with Retry-After, a reason for developers and, for the person, the words in content/widget.yml."""
    return BadRequest(
        429,
        f"too many messages from this {limited.scope}; retry after {limited.retry_after} s",
        details={"message": rate_limited_message(), "retry_after": limited.retry_after},
        headers={"Retry-After": str(limited.retry_after)},
    )


@cache
def rate_limited_message() -> str:
    """What a person is told when they are sending too fast (staff edit it in content/widget.yml)."""
    wording = yaml.safe_load(WORDING_FILE.read_text(encoding="utf-8")) or {}
    message = wording.get("rate_limited_message")
    if not isinstance(message, str) or not message.strip():
        raise ValueError(f"{WORDING_FILE.name} must give rate_limited_message, the words for a 429")
    return message.strip()


def refusal(refused: BadRequest, headers: Mapping[str, str] | None = None) -> HTTPResponse:
    """The JSON answer to a refused request: {"error": reason, ...details}."""
    return response.json(
        {"error": refused.reason, **refused.details},
        status=refused.status,
        headers={**(headers or {}), **refused.headers},
    )


UNAVAILABLE = "the assistant could not answer just now; try again shortly"


async def answer(
    request: Request,
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    message: str,
    sender: str,
    channel: str,
    headers: Mapping[str, str] | None = None,
) -> HTTPResponse:
    """Rasa's replies as a JSON list; 503 with a reason if Rasa fails, so the client knows to try later.

    A server whose model failed to load keeps running and would answer every message with no replies at
    all; that is a 503 too, so the widget shows its offline message with the phone numbers instead.
    """
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or not agent.is_ready():
        logger.error("%s message could not be handled: no model is loaded", channel)
        return response.json(
            {"error": f"{UNAVAILABLE} (no model is loaded)"}, status=503, headers=dict(headers or {})
        )
    collector = CollectingOutputChannel()
    try:
        await on_new_message(UserMessage(message, collector, sender, input_channel=channel))
    except Exception as error:  # noqa: BLE001 - the client gets a 503, the log gets the cause, not the text
        logger.error("%s message could not be handled: %s", channel, describe_failure(error))
        return response.json({"error": UNAVAILABLE}, status=503, headers=dict(headers or {}))
    return response.json(collector.messages, headers=dict(headers or {}))


def describe_failure(error: BaseException) -> str:
    """The exception's type and where it was raised, without its message.

    Exception messages can quote the data being handled (SQLAlchemy's include the statement's
    parameters, that is, the conversation), so only types and code locations are logged.
    """
    chain: list[str] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 5:
        frames = traceback.extract_tb(current.__traceback__)[-3:]
        where = " < ".join(
            f"{_short(frame.filename)}:{frame.lineno} in {frame.name}" for frame in reversed(frames)
        )
        chain.append(f"{type(current).__module__}.{type(current).__qualname__} at {where or 'unknown'}")
        current = current.__cause__ or current.__context__
    return "; caused by ".join(chain)


def _short(filename: str) -> str:
    """A source file's path from its package down: rasa/core/lock_store.py, not the whole venv path."""
    for marker in ("/site-packages/", f"{PROJECT_ROOT}/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename
