"""Every public endpoint against bad input, on real servers: a clear 4xx or a sensible reply, never a 5xx.

Public: the two message webhooks (REST and widget), the widget's page and files, and Rasa's root. After
each bad request a normal message must still get its normal answer. A message of 10,000 characters is
refused with 413, like anything over the channels' max_message_chars (5,000, the widget's limit too):
an answer about Prevent never needs more, and a clear refusal beats silently cutting the text.
The stack here limits senders as usual, but not addresses, because every request comes from 127.0.0.1
(the limits themselves are tested in test_rate_limit.py).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
import requests
import sqlalchemy as sa
import yaml

from conftest import LOG_DIR, ROOT, free_port, start_stack
from prevent_assistant.serve import Stack, running_stack
from stack_config import credentials_with, endpoints_with

CHANNELS = {"rest": "/webhooks/rest/webhook", "widget": "/webhooks/widget/webhook"}
CREDENTIALS = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
MAX_BODY = {
    "rest": CREDENTIALS["prevent_assistant.channels.rest.GuardedRestInput"]["max_body_bytes"],
    "widget": CREDENTIALS["prevent_assistant.channels.widget.WidgetInput"]["max_body_bytes"],
}
SPYING = "is prevent spying?"
SPYING_ANSWER = "Prevent is not spying"


def new_sender() -> str:
    return uuid.uuid4().hex


def message(text: str, sender: str | None = None) -> bytes:
    return json.dumps({"sender": sender or new_sender(), "message": text}).encode()


@pytest.fixture(scope="module")
def public(tmp_path_factory) -> Iterator[tuple[Stack, str]]:
    """A stack with the usual per-sender limit and no effective per-address one; and its database."""
    directory = tmp_path_factory.mktemp("public")
    credentials = credentials_with(directory, {"per_sender": "20/minute", "per_address": "100000/minute"})
    database = f"sqlite:///{directory / 'prevent.db'}"
    with start_stack(database, credentials=credentials) as stack:
        yield stack, database


@pytest.fixture(params=list(CHANNELS))
def channel(request) -> str:
    return request.param


def post(stack: Stack, channel: str, body: bytes, query: str = "") -> requests.Response:
    return requests.post(
        f"{stack.rasa_url}{CHANNELS[channel]}{query}",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=120,
    )


def assert_answers_normally(stack: Stack, channel: str) -> None:
    reply = post(stack, channel, message(SPYING))
    assert reply.status_code == 200, reply.text
    assert reply.json()[0]["text"].startswith(SPYING_ANSWER)


BAD_INPUT = [
    pytest.param(b"", 400, "request body must be JSON", id="empty-body"),
    pytest.param(b'{"sender": "abc', 400, "request body must be JSON", id="malformed-json"),
    pytest.param(b"hello there", 400, "request body must be JSON", id="not-json"),
    pytest.param(b'["a list"]', 400, "must be a JSON object", id="not-an-object"),
    pytest.param(b"null", 400, "must be a JSON object", id="json-null"),
    pytest.param(b'{"message": "hello"}', 400, "sender must be a random id", id="missing-sender"),
    pytest.param(
        b'{"sender": null, "message": "hello"}', 400, "sender must be a random id", id="null-sender"
    ),
    pytest.param(
        b'{"sender": "me", "message": "hello"}', 400, "sender must be a random id", id="short-sender"
    ),
    pytest.param(
        b'{"sender": "abcdefgh12\\n", "message": "hello"}', 400, "sender must be", id="sender-with-newline"
    ),
    pytest.param(
        b'{"sender": "abcdefgh\\u0000", "message": "hello"}', 400, "sender must be", id="sender-with-nul"
    ),
    pytest.param(b'{"sender": 12345678, "message": "hello"}', 400, "sender must be", id="numeric-sender"),
    pytest.param(
        ('{"sender": "' + "a" * 65 + '", "message": "hello"}').encode(),
        400,
        "sender must be",
        id="long-sender",
    ),
    pytest.param(b'{"sender": "abcdefgh12"}', 400, "message must be a string", id="missing-message"),
    pytest.param(b'{"sender": "abcdefgh12", "message": null}', 400, "message must be a string", id="null"),
    pytest.param(b'{"sender": "abcdefgh12", "message": 42}', 400, "message must be a string", id="number"),
    pytest.param(
        b'{"sender": "abcdefgh12", "message": {"text": "hi"}}', 400, "message must be a string", id="object"
    ),
    pytest.param(
        b'{"sender": "abcdefgh12", "message": "\xff\xfe hello"}', 400, "not valid UTF-8", id="invalid-utf8"
    ),
    pytest.param(
        b'{"sender": "abcdefgh12", "message": "\\ud800 hello"}', 400, "not valid Unicode", id="lone-surrogate"
    ),
    pytest.param(
        message("a" * 10_000, "abcdefgh12"), 413, "message is longer than 5000 characters", id="10kB-message"
    ),
    pytest.param(
        message("a" * 1_000_000, "abcdefgh12"), 413, "request body is larger than", id="1MB-message"
    ),
    pytest.param(b"\x00" * 1_000_000, 413, "request body is larger than", id="1MB-of-NULs"),
]


@pytest.mark.parametrize(("body", "status", "reason"), BAD_INPUT)
def test_bad_input_gets_a_4xx_with_a_reason_and_the_server_keeps_serving(
    public, channel, body, status, reason
):
    stack, _ = public
    refused = post(stack, channel, body)
    assert refused.status_code == status, refused.text
    assert reason in refused.json()["error"]
    if reason == "request body is larger than":
        assert f"larger than {MAX_BODY[channel]} bytes" in refused.json()["error"]
    assert_answers_normally(stack, channel)


def test_rest_refuses_a_streamed_answer_rather_than_failing_after_200(public):
    stack, _ = public
    refused = post(stack, "rest", message(SPYING), query="?stream=true")
    assert refused.status_code == 400
    assert "streamed answers are not offered" in refused.json()["error"]
    assert_answers_normally(stack, "rest")


def test_nul_bytes_are_dropped_and_the_message_answered(public, channel):
    stack, _ = public
    reply = post(stack, channel, message("is prevent\u0000 spying\u0000?"))
    assert reply.status_code == 200
    assert reply.json()[0]["text"].startswith(SPYING_ANSWER)


def test_html_and_script_get_a_normal_reply_that_does_not_echo_markup(public, channel):
    stack, _ = public
    reply = post(stack, channel, message("<script>alert('x')</script><img src=x onerror=alert(1)> prevent?"))
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    texts = [m.get("text", "") for m in reply.json()]
    assert any(texts), "expected a reply"
    assert not any(marker in reply.text for marker in ("<script", "<img", "onerror")), reply.text


SQL_LOOKING = ["'; DROP TABLE events; --", "1' OR '1'='1", "Robert'); DROP TABLE handoffs;--"]


def test_sql_looking_text_gets_a_normal_reply_and_the_tables_are_intact(public, channel):
    stack, database = public
    senders = [new_sender() for _ in SQL_LOOKING]
    for sender, text in zip(senders, SQL_LOOKING, strict=True):
        reply = post(stack, channel, message(text, sender))
        assert reply.status_code == 200 and reply.json(), text
    engine = sa.create_engine(database)
    try:
        assert {"events", "handoffs"} <= set(sa.inspect(engine).get_table_names())
        with engine.connect() as connection:
            stored = connection.execute(
                sa.text(
                    "SELECT COUNT(DISTINCT sender_id) FROM events WHERE sender_id IN :senders"
                ).bindparams(sa.bindparam("senders", expanding=True)),
                {"senders": senders},
            ).scalar_one()
    finally:
        engine.dispose()
    assert stored == len(senders), "every conversation should have been stored"
    assert_answers_normally(stack, channel)


def test_a_thousand_different_senders_at_once_all_get_answers(public):
    stack, _ = public

    async def send_all() -> list[tuple[int, object]]:
        gate = asyncio.Semaphore(50)
        timeout = aiohttp.ClientTimeout(total=600)
        async with aiohttp.ClientSession(timeout=timeout) as session:

            async def one(index: int) -> tuple[int, object]:
                channel = list(CHANNELS)[index % 2]
                async with (
                    gate,
                    session.post(
                        f"{stack.rasa_url}{CHANNELS[channel]}",
                        json={"sender": new_sender(), "message": "hello"},
                    ) as reply,
                ):
                    return reply.status, await reply.json(content_type=None)

            return await asyncio.gather(*(one(i) for i in range(1000)))

    results = asyncio.run(send_all())
    assert [status for status, _ in results if status != 200] == []
    assert all(isinstance(body, list) and body for _, body in results), "every sender should get a reply"
    for channel in CHANNELS:
        assert_answers_normally(stack, channel)


# --- The other public endpoints ----------------------------------------------------------------------------
def test_rasa_root_answers_and_refuses_other_methods(public):
    stack, _ = public
    root = requests.get(f"{stack.rasa_url}/", params={"q": "<script>alert(1)</script>"}, timeout=10)
    assert root.status_code == 200
    assert "Hello from Rasa" in root.text and "<script>" not in root.text
    assert requests.post(f"{stack.rasa_url}/", data=b"\xff" * 1000, timeout=10).status_code == 405


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("static/..%2Fcredentials.yml", 404),
        ("static/widget.js%00.txt", 404),
        ("static/" + "a" * 5000, 404),
        ("static/", 404),
    ],
)
def test_widget_files_refuse_anything_but_their_own(public, path, status):
    stack, _ = public
    assert requests.get(f"{stack.rasa_url}/webhooks/widget/{path}", timeout=10).status_code == status
    assert requests.get(f"{stack.rasa_url}/webhooks/widget/", timeout=10).status_code == 200


def test_rest_health_route_still_answers(public):
    stack, _ = public
    health = requests.get(f"{stack.rasa_url}/webhooks/rest/", timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok"}


def test_conversations_and_parsing_need_the_api_token(public):
    stack, _ = public
    sender = new_sender()
    assert post(stack, "rest", message(SPYING, sender)).status_code == 200
    tracker = f"{stack.rasa_url}/conversations/{sender}/tracker"
    assert requests.get(tracker, timeout=10).status_code == 401
    assert requests.get(tracker, params={"token": "guess"}, timeout=10).status_code == 401
    parse = requests.post(f"{stack.rasa_url}/model/parse", json={"text": "hello"}, timeout=10)
    assert parse.status_code == 401
    allowed = requests.get(tracker, params={"token": stack.api_token}, timeout=10)
    assert allowed.status_code == 200 and allowed.json()["sender_id"] == sender


# --- A failure inside Rasa ---------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=["lock-store-down", "no-model"])
def failing(request, tmp_path_factory) -> Iterator[Stack]:
    """A stack on which Rasa cannot answer: its Redis lock store cannot be reached (as if a multi-server
    deployment lost it), or its model did not load (the server then runs on, with no agent)."""
    directory = tmp_path_factory.mktemp("failing")
    database = f"sqlite:///{directory / 'prevent.db'}"
    if request.param == "lock-store-down":
        lock_store = {"lock_store": {"type": "redis", "url": "127.0.0.1", "port": free_port()}}
        servers = start_stack(database, endpoints=endpoints_with(directory, lock_store))
    else:
        broken = directory / "broken.tar.gz"
        broken.write_bytes(b"not a model")
        servers = running_stack(
            broken, free_port(), free_port(), log_dir=LOG_DIR, database=database, require_model=False
        )
    with servers as stack:
        yield stack


def test_a_failure_inside_rasa_is_a_503_with_a_reason_and_no_text_in_the_logs(failing, channel):
    marker = f"my neighbour {uuid.uuid4().hex} is worried"
    failed = post(failing, channel, message(marker))
    assert failed.status_code == 503
    assert "could not answer just now" in failed.json()["error"]
    logs = {log.name: log.read_text(encoding="utf-8", errors="replace") for log in LOG_DIR.glob("*.log")}
    assert any(f"{channel} message could not be handled" in text for text in logs.values())
    assert [name for name, text in logs.items() if marker in text] == []


# --- The database failing under a running server ----------------------------------------------------------
@pytest.fixture(scope="module")
def database_down(tmp_path_factory) -> Iterator[tuple[Stack, Path]]:
    """A stack whose database loses Rasa's events table once it is serving (as after a bad restore): every
    read and write of a conversation fails with an error whose SQLAlchemy text quotes the statement and its
    parameters, the person's words among them. Its own log folder, so only this stack's lines are read."""
    directory = tmp_path_factory.mktemp("database-down")
    database = f"sqlite:///{directory / 'prevent.db'}"
    logs = directory / "logs"
    with running_stack(
        ROOT / "models" / "prevent.tar.gz", free_port(), free_port(), log_dir=logs, database=database
    ) as stack:
        engine = sa.create_engine(database)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE events"))
        engine.dispose()
        yield stack, logs


def test_a_database_failure_is_logged_by_name_without_sql_or_the_message(database_down, channel):
    stack, logs = database_down
    marker = f"my neighbour {uuid.uuid4().hex} is worried"
    reply = post(stack, channel, message(marker))
    assert reply.status_code in (200, 503), reply.text
    written = {log.name: log.read_text(encoding="utf-8", errors="replace") for log in logs.glob("*.log")}
    assert written, "the servers wrote no logs"
    text = "\n".join(written.values())
    assert "database error: OperationalError" in text  # the failure is named, by its type
    for leak in (marker, "INSERT", "SELECT", "sender_id"):
        assert [name for name, content in written.items() if leak in content] == [], f"{leak!r} was logged"
