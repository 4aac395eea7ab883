"""deploy/nginx.conf in front of two Rasa instances, with real nginx (Debian's package), as compose runs it.

Only the upstream addresses and the listening port are changed for the test. Clients connect from
different loopback addresses (127.0.0.2, 127.0.0.3), so the per-address rate limit can be seen to count
the person's address that nginx passes on, not nginx's own, and not one a client makes up.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT, free_port, start_stack
from stack_config import credentials_with

PER_ADDRESS = 6


def render(nginx_conf: str, rasa_urls: tuple[str, ...], port: int, directory: Path) -> Path:
    """The deploy config with this test's addresses, inside a minimal main config nginx can run as is."""
    for index, url in enumerate(rasa_urls, start=1):
        nginx_conf = nginx_conf.replace(f"server rasa-{index}:5005", f"server {url.removeprefix('http://')}")
    nginx_conf = nginx_conf.replace("listen 80;", f"listen 127.0.0.1:{port};")
    main = f"""
        {"user root;" if os.geteuid() == 0 else ""}
        pid {directory}/nginx.pid;
        error_log {directory}/error.log warn;
        events {{}}
        http {{
            access_log off;
            client_body_temp_path {directory}/body;
            proxy_temp_path {directory}/proxy;
            {nginx_conf}
        }}
    """
    path = directory / "nginx.conf"
    path.write_text(main, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def proxied(postgres_url, redis_url, tmp_path_factory) -> Iterator[tuple[int, object]]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        if os.environ.get("CI"):
            pytest.fail("nginx is missing: make test-deps installs it")
        pytest.skip("nginx is not installed (make test-deps installs it)")
    directory = tmp_path_factory.mktemp("nginx")
    limits = {
        "per_sender": "100/minute",
        "per_address": f"{PER_ADDRESS}/minute",
        "key_prefix": uuid.uuid4().hex,
    }
    with start_stack(
        postgres_url,
        instances=2,
        endpoints=ROOT / "deploy" / "endpoints.yml",
        credentials=credentials_with(directory, limits),
        rasa_env={"REDIS_URL": redis_url, "SANIC_PROXIES_COUNT": "1"},
    ) as stack:
        port = free_port()
        config = render(
            (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8"), stack.rasa_urls, port, directory
        )
        process = subprocess.Popen([nginx, "-c", str(config), "-g", "daemon off;"], stderr=subprocess.PIPE)
        try:
            _wait_for(port, process)
            yield port, stack
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_for(port: int, process: subprocess.Popen) -> None:
    for _ in range(50):
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {process.stderr.read().decode(errors='replace')}")
        try:
            if request(port, "GET", "/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError("nginx did not answer")


def request(
    port: int,
    method: str,
    path: str,
    body: dict | None = None,
    source: str = "127.0.0.1",
    headers: dict | None = None,
) -> tuple[int, object]:
    """One request from the loopback address `source` (stdlib http.client can choose it)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    try:
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, payload, {"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        text = response.read().decode("utf-8")
        return response.status, json.loads(text) if text.startswith(("[", "{")) else text
    finally:
        connection.close()


def say(port: int, sender: str, message: str, source: str = "127.0.0.1", **kwargs) -> tuple[int, object]:
    return request(
        port, "POST", "/webhooks/widget/webhook", {"sender": sender, "message": message}, source, **kwargs
    )


def test_a_conversation_through_nginx_spans_both_instances(proxied):
    port, _stack = proxied
    sender = uuid.uuid4().hex
    status, offer = say(port, sender, "what is prevent", source="127.0.0.4")
    assert status == 200
    assert offer[-1]["text"] == "Would you like to hear about some common myths about Prevent?"
    status, answer = say(port, sender, "yes", source="127.0.0.4")
    assert status == 200
    assert answer[0]["text"].startswith("Here are five things people often get wrong about Prevent")


def test_rasa_http_api_is_not_reachable_through_nginx(proxied):
    port, stack = proxied
    assert request(port, "GET", f"/status?token={stack.api_token}")[0] == 404
    assert request(port, "POST", f"/model/parse?token={stack.api_token}", {"text": "hi"})[0] == 404


def test_the_per_address_limit_counts_the_person_behind_nginx_and_ignores_made_up_addresses(proxied):
    port, _stack = proxied
    for _ in range(PER_ADDRESS):
        assert say(port, uuid.uuid4().hex, "hello", source="127.0.0.2")[0] == 200
    status, refused = say(port, uuid.uuid4().hex, "hello", source="127.0.0.2")
    assert status == 429
    assert "999" in json.dumps(refused)
    # nginx overwrites X-Forwarded-For, so a client cannot claim another address to escape its limit.
    spoofed = say(
        port, uuid.uuid4().hex, "hello", source="127.0.0.2", headers={"X-Forwarded-For": "10.9.8.7"}
    )
    assert spoofed[0] == 429
    # Another person, at another address, behind the same nginx, is not affected.
    assert say(port, uuid.uuid4().hex, "hello", source="127.0.0.3")[0] == 200
