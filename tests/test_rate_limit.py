"""Rate limits per sender and per address on both public channels: on a real server with tight limits, and
the limiter itself against the machine's Redis (shared counters) and a Redis that is down (fail open).

Each server test sends from its own loopback address (127.0.0.x), so its per-address counter starts at
zero whatever ran before it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Iterator
from itertools import count
from types import SimpleNamespace

import pytest
import redis
import requests
import yaml
from requests_toolbelt.adapters.source import SourceAddressAdapter
from sanic import Sanic
from sanic.compat import Header
from sanic.request import Request

from conftest import REDIS_URL, ROOT, free_port, start_stack
from prevent_assistant.channels.guard import client_address, refusal, too_many_requests
from prevent_assistant.channels.rest import GuardedRestInput
from prevent_assistant.channels.widget import WidgetInput
from prevent_assistant.rate_limit import REDIS_URL_VARIABLE, RateLimited, RateLimiter
from prevent_assistant.serve import Stack
from stack_config import credentials_with

CHANNELS = {"rest": "/webhooks/rest/webhook", "widget": "/webhooks/widget/webhook"}
PER_SENDER, PER_ADDRESS = 3, 10
FRIENDLY = yaml.safe_load((ROOT / "content" / "widget.yml").read_text(encoding="utf-8"))[
    "rate_limited_message"
]
EMBEDDING_SITE = "https://www.council.example"
_addresses = count(10)


def new_sender() -> str:
    return uuid.uuid4().hex


@pytest.fixture(scope="module")
def limited(tmp_path_factory) -> Iterator[Stack]:
    """A stack whose channels allow 3 messages a minute per sender and 10 per address, counted in memory;
    the widget may be embedded on EMBEDDING_SITE."""
    directory = tmp_path_factory.mktemp("limited")
    limits = {"per_sender": f"{PER_SENDER}/minute", "per_address": f"{PER_ADDRESS}/minute"}
    credentials = credentials_with(directory, limits)
    channels = yaml.safe_load(credentials.read_text(encoding="utf-8"))
    channels["prevent_assistant.channels.widget.WidgetInput"]["allowed_origins"] = [EMBEDDING_SITE]
    credentials.write_text(yaml.safe_dump(channels), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(REDIS_URL_VARIABLE, raising=False)
        patch.delenv("SANIC_PROXIES_COUNT", raising=False)
        patch.delenv("SANIC_REAL_IP_HEADER", raising=False)
        patch.delenv("SANIC_FORWARDED_SECRET", raising=False)
        with start_stack(f"sqlite:///{directory / 'prevent.db'}", credentials=credentials) as stack:
            yield stack


@pytest.fixture
def client() -> Iterator[requests.Session]:
    """HTTP from a loopback address no other test uses: its own per-address counter."""
    session = requests.Session()
    session.mount("http://", SourceAddressAdapter((f"127.0.0.{next(_addresses)}", 0)))
    yield session
    session.close()


@pytest.fixture(params=list(CHANNELS))
def channel(request) -> str:
    return request.param


def send(
    client: requests.Session, stack: Stack, channel: str, sender: str, headers: dict | None = None
) -> requests.Response:
    return client.post(
        f"{stack.rasa_url}{CHANNELS[channel]}",
        json={"sender": sender, "message": "is prevent spying?"},
        headers=headers,
        timeout=60,
    )


def assert_limited(refused: requests.Response, scope: str) -> None:
    assert refused.status_code == 429, refused.text
    body = refused.json()
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert body["retry_after"] == retry_after
    assert f"too many messages from this {scope}" in body["error"]
    assert body["message"] == FRIENDLY.strip()
    assert "999" in body["message"]


def test_a_sender_over_the_limit_gets_429_and_others_are_unaffected(limited, client, channel):
    sender = new_sender()
    for _ in range(PER_SENDER):
        assert send(client, limited, channel, sender).status_code == 200
    assert_limited(send(client, limited, channel, sender), "sender")
    other = send(client, limited, channel, new_sender())
    assert other.status_code == 200 and other.json()[0]["text"].startswith("Prevent is not spying")


def test_a_site_embedding_the_widget_can_read_its_replies_and_the_429(limited, client):
    """One Access-Control-Allow-Origin, exactly: browsers refuse a response that carries it twice."""
    sender, origin = new_sender(), {"Origin": EMBEDDING_SITE}
    for _ in range(PER_SENDER):
        replied = send(client, limited, "widget", sender, headers=origin)
        assert replied.status_code == 200
        assert replied.headers["Access-Control-Allow-Origin"] == EMBEDDING_SITE
    refused = send(client, limited, "widget", sender, headers=origin)
    assert_limited(refused, "sender")
    assert refused.headers["Access-Control-Allow-Origin"] == EMBEDDING_SITE
    exposed = refused.headers["Access-Control-Expose-Headers"]  # a list: Rasa's CORS layer adds its own
    assert "Retry-After" in [name.strip() for name in exposed.split(",")]


def test_one_address_is_limited_across_many_sender_ids(limited, client, channel):
    for _ in range(PER_ADDRESS):
        assert send(client, limited, channel, new_sender()).status_code == 200
    assert_limited(send(client, limited, channel, new_sender()), "address")


def test_bad_requests_count_towards_the_address_limit(limited, client, channel):
    url = f"{limited.rasa_url}{CHANNELS[channel]}"
    for _ in range(PER_ADDRESS):
        assert client.post(url, data=b"not json", timeout=10).status_code == 400
    assert_limited(client.post(url, data=b"not json", timeout=10), "address")


def test_a_spoofed_forwarded_address_does_not_escape_the_address_limit(limited, client, channel):
    """No proxy is configured, so X-Forwarded-For and friends are the client's word and are ignored."""
    url = f"{limited.rasa_url}{CHANNELS[channel]}"
    for n in range(PER_ADDRESS):
        spoof = {"X-Forwarded-For": f"198.51.100.{n}", "X-Real-IP": f"198.51.100.{n}"}
        assert client.post(url, data=b"{}", headers=spoof, timeout=10).status_code == 400
    spoof = {"X-Forwarded-For": "203.0.113.99", "Forwarded": "for=203.0.113.99", "X-Real-IP": "203.0.113.99"}
    assert_limited(send(client, limited, channel, new_sender(), headers=spoof), "address")


# --- Where the address comes from (Sanic 21.12) -----------------------------------------------------------
def sanic_request(headers: dict[str, str], peer: str) -> Request:
    """A real Sanic request, as the server builds it, on an app configured from the environment."""
    app = Sanic(f"rate-limit-test-{uuid.uuid4().hex[:8]}")
    request = Request(b"/webhooks/rest/webhook", Header(headers), "1.1", "POST", None, app)
    request.conn_info = SimpleNamespace(client_ip=peer)
    return request


def test_the_address_is_the_peer_unless_a_proxy_is_configured(monkeypatch):
    monkeypatch.delenv("SANIC_PROXIES_COUNT", raising=False)
    monkeypatch.delenv("SANIC_REAL_IP_HEADER", raising=False)
    forwarded = {"X-Forwarded-For": "198.51.100.7, 203.0.113.5", "X-Real-IP": "198.51.100.7"}
    assert client_address(sanic_request(forwarded, peer="192.0.2.10")) == "192.0.2.10"


def test_behind_one_proxy_the_address_is_the_one_the_proxy_added(monkeypatch):
    """SANIC_PROXIES_COUNT=1 (one nginx): the last X-Forwarded-For entry, which the proxy wrote itself;
    anything the client put before it is not trusted."""
    monkeypatch.setenv("SANIC_PROXIES_COUNT", "1")
    forwarded = {"X-Forwarded-For": "198.51.100.7, 203.0.113.5"}
    assert client_address(sanic_request(forwarded, peer="10.0.0.2")) == "203.0.113.5"
    assert client_address(sanic_request({}, peer="10.0.0.2")) == "10.0.0.2"


# --- Settings ---------------------------------------------------------------------------------------------
def test_limits_can_be_switched_off_and_default_to_on():
    assert RateLimiter.from_settings("rest", {"enabled": False}) is None
    assert WidgetInput(rate_limit={"enabled": False}).rate_limiter is None
    default = GuardedRestInput().rate_limiter
    assert default is not None
    assert [str(item) for item in default.limits["sender"]] == ["20 per 1 minute"]


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"per_sendr": "20/minute"}, "unknown setting"),
        ({"per_sender": "twenty a minute"}, "is not understood"),
        ({"enabled": "no"}, "must be true or false"),
    ],
)
def test_a_mistake_in_the_settings_stops_the_server_starting(settings, complaint):
    with pytest.raises(ValueError, match=complaint):
        WidgetInput(rate_limit=settings)


def test_the_shipped_limits_leave_room_for_a_shared_address():
    channels = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    for name, settings in channels.items():
        limiter = RateLimiter.from_settings(name, settings["rate_limit"])
        sender, address = limiter.limits["sender"][0], limiter.limits["address"][0]
        assert sender.amount / sender.get_expiry() <= 0.5, f"{name}: more than a person could type"
        assert address.amount / address.get_expiry() >= 10 * sender.amount / sender.get_expiry(), name


# --- Redis: counters shared between servers, and failing open --------------------------------------------
@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own on the machine's Redis; its keys are removed afterwards."""
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)
    connection.close()


def test_two_servers_sharing_redis_share_the_counters(monkeypatch, redis_prefix):
    monkeypatch.setenv(REDIS_URL_VARIABLE, REDIS_URL)
    settings = {"per_sender": "2/minute", "per_address": "3/minute", "key_prefix": redis_prefix}
    first, second = WidgetInput(rate_limit=settings), WidgetInput(rate_limit=settings)
    assert first.rate_limiter.storage_url == REDIS_URL

    async def scenario() -> None:
        sender = new_sender()
        await first.rate_limiter.check_sender(sender)
        await second.rate_limiter.check_sender(sender)
        with pytest.raises(RateLimited) as limited:
            await first.rate_limiter.check_sender(sender)
        assert limited.value.scope == "sender" and 1 <= limited.value.retry_after <= 60
        await second.rate_limiter.check_sender(new_sender())  # another person is unaffected
        for limiter in (first, second, first):
            await limiter.rate_limiter.check_address("192.0.2.44")
        with pytest.raises(RateLimited, match="address"):
            await second.rate_limiter.check_address("192.0.2.44")

    asyncio.run(scenario())
    keys = [key.decode() for key in redis.Redis.from_url(REDIS_URL).scan_iter(f"*{redis_prefix}*")]
    assert len(keys) == 3, keys  # two senders and one address, hashed: no raw id or address is stored
    assert not any("192.0.2.44" in key for key in keys)


def test_if_redis_is_down_messages_are_served_and_a_warning_is_logged(monkeypatch, caplog):
    monkeypatch.setenv(REDIS_URL_VARIABLE, f"redis://127.0.0.1:{free_port()}/0")
    channel = GuardedRestInput(rate_limit={"per_sender": "1/minute", "per_address": "1/minute"})
    sender = new_sender()

    async def five_messages() -> None:
        for _ in range(5):
            await channel.rate_limiter.check_address("192.0.2.45")
            await channel.rate_limiter.check_sender(sender)

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="prevent_assistant.rate_limit"):
        asyncio.run(five_messages())  # over both limits, and not one RateLimited: the limiter fails open
    assert time.monotonic() - started < 3
    warnings = [r.getMessage() for r in caplog.records if r.name == "prevent_assistant.rate_limit"]
    assert len(warnings) == 1, "one warning per outage, not one per message"
    assert "rate limit storage is unavailable" in warnings[0] and "without limits" in warnings[0]
    assert sender not in warnings[0] and "192.0.2.45" not in warnings[0]


def test_the_429_body_is_json_with_the_friendly_words():
    """The refusal as both channels build it, without a server: the words come from content/widget.yml."""
    answer = refusal(too_many_requests(RateLimited("sender", 42)), {"Cache-Control": "no-store"})
    assert answer.status == 429
    assert answer.headers["Retry-After"] == "42" and answer.headers["Cache-Control"] == "no-store"
    body = json.loads(answer.body)
    assert body == {
        "error": "too many messages from this sender; retry after 42 s",
        "message": FRIENDLY.strip(),
        "retry_after": 42,
    }
