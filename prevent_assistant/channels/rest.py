"""Rasa's REST channel (POST /webhooks/rest/webhook), with the checks and limits of the widget channel.

The stock channel trusts its callers: a missing sender becomes the conversation "default" that everyone
without one then shares, a null message crashes it, a failure answers 200 with no replies, and errors log
the message text. This one keeps its URL and its answer (a JSON list of bot messages) and refuses bad
requests with a 4xx and a reason, answers a failure with a 503, and never logs message text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.channels.guard import BadRequest, admit, answer, rate_limiter_for, refusal


class GuardedRestInput(RestInput):
    """Input channel `rest`: the same URL and replies as Rasa's, for API clients, tests and benchmarks.

    Differences from the stock channel, besides the checks: the conversation's channel is always "rest"
    and request `metadata` is ignored, because both would otherwise be stored in the tracker (and shown to
    call handlers) exactly as an anonymous caller wrote them; `?stream=true` is refused, because a
    streamed answer has already sent 200 when Rasa fails.
    """

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GuardedRestInput:
        return cls(**(credentials or {}))

    def __init__(
        self,
        # Big enough for max_message_chars of any script as JSON \u escapes (12 bytes for an emoji).
        max_body_bytes: int = 65_536,
        max_message_chars: int = 5_000,
        rate_limit: Mapping[str, Any] | None = None,
    ) -> None:
        self.max_body_bytes = max_body_bytes
        self.max_message_chars = max_message_chars
        self.rate_limiter = rate_limiter_for(self.name(), rate_limit)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint("prevent_rest", __name__)

        @rest.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            headers = {"Cache-Control": "no-store"}
            try:
                if request.args.get("stream", "false").lower() not in ("false", "0", ""):
                    raise BadRequest(400, "streamed answers are not offered; leave out ?stream")
                sender, message = await admit(
                    request, self.max_body_bytes, self.max_message_chars, self.rate_limiter
                )
            except BadRequest as refused:
                return refusal(refused, headers)
            return await answer(request, on_new_message, message, sender, self.name(), headers)

        return rest
