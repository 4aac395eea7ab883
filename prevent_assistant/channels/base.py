"""The one guarded input channel that the REST and widget channels extend.

Both channels take the same settings from credentials.yml (body and message limits, rate limits) and
receive a message the same way: admit it through every check in `guard`, hand it to Rasa, and answer a
refusal with a 4xx, its reason and the channel's headers. Kept here once, so a fix to how a message is
received reaches both public endpoints, and a channel says only what is its own (the widget: which sites
may call it; REST: no streamed answers).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.channels.guard import BadRequest, admit, answer, rate_limiter_for, refusal

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
# Never cached: a reply is for one person, and may say something about the person they are worried about.
NO_STORE = {"Cache-Control": "no-store"}


class GuardedInput(InputChannel):
    """A public channel whose messages pass the checks and limits of `channels.guard` before Rasa sees them.

    Subclasses set `default_max_body_bytes` and may override `response_headers` (headers for every answer,
    refusals included; raising BadRequest refuses the request with no extra headers) and `check` (a
    channel's own refusals, made before the body is read).
    """

    # Big enough for max_message_chars of any script as JSON \u escapes (12 bytes for an emoji).
    default_max_body_bytes: ClassVar[int] = 65_536
    default_max_message_chars: ClassVar[int] = 5_000

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """The channel as credentials.yml configures it; an unknown setting is a TypeError at start-up."""
        return cls(**(credentials or {}))

    def __init__(
        self,
        max_body_bytes: int | None = None,
        max_message_chars: int | None = None,
        rate_limit: Mapping[str, Any] | None = None,
    ) -> None:
        self.max_body_bytes = self.default_max_body_bytes if max_body_bytes is None else max_body_bytes
        self.max_message_chars = (
            self.default_max_message_chars if max_message_chars is None else max_message_chars
        )
        self.rate_limiter = rate_limiter_for(self.name(), rate_limit)

    def response_headers(self, request: Request) -> dict[str, str]:
        """Headers for every answer to this request."""
        return dict(NO_STORE)

    def check(self, request: Request) -> None:
        """Refuse (BadRequest) what this channel does not offer; by default, nothing."""

    async def receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """Admit the message, then answer with Rasa's replies; a refusal is a 4xx with its reason."""
        try:
            headers = self.response_headers(request)
        except BadRequest as refused:
            return refusal(refused)
        try:
            self.check(request)
            sender, message = await admit(
                request, self.max_body_bytes, self.max_message_chars, self.rate_limiter
            )
        except BadRequest as refused:
            return refusal(refused, headers)
        return await answer(request, on_new_message, message, sender, self.name(), headers)

    def add_webhook(self, blueprint: Blueprint, on_new_message: OnNewMessage) -> None:
        """POST <channel>/webhook: where both channels take messages, as Rasa's own channels do."""

        async def webhook(request: Request) -> HTTPResponse:
            return await self.receive(request, on_new_message)

        blueprint.add_route(webhook, "/webhook", methods=["POST"], name="receive")
