"""Rasa's REST channel (POST /webhooks/rest/webhook), with the checks and limits of the widget channel.

The stock channel trusts its callers: a missing sender becomes the conversation "default" that everyone
without one then shares, a null message crashes it, a failure answers 200 with no replies, and errors log
the message text. This one keeps its URL and its answer (a JSON list of bot messages) and refuses bad
requests with a 4xx and a reason, answers a failure with a 503, and never logs message text.
"""

from __future__ import annotations

from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.channels.base import GuardedInput, OnNewMessage
from prevent_assistant.channels.guard import BadRequest


class GuardedRestInput(GuardedInput, RestInput):
    """Input channel `rest`: the same URL and replies as Rasa's, for API clients, tests and benchmarks.

    Differences from the stock channel, besides the checks: the conversation's channel is always "rest"
    and request `metadata` is ignored, because both would otherwise be stored in the tracker (and shown to
    call handlers) exactly as an anonymous caller wrote them; `?stream=true` is refused, because a
    streamed answer has already sent 200 when Rasa fails.
    """

    def check(self, request: Request) -> None:
        if request.args.get("stream", "false").lower() not in ("false", "0", ""):
            raise BadRequest(400, "streamed answers are not offered; leave out ?stream")

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        rest = Blueprint("prevent_rest", __name__)

        @rest.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        self.add_webhook(rest, on_new_message)
        return rest
