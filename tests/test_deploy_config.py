"""The deployment example stays in step with the tested set-up, and no secret is written in a config file.

No container engine runs on the build machines, so deploy/docker-compose.yml is not started here; these
tests make sure it runs the configuration tests/test_multi_instance.py exercises, and nothing more secret
than a variable name is committed.
"""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import ROOT
from prevent_assistant.settings import ACTION_SERVER_URL_VARIABLE, DATABASE_URL_VARIABLE, REDIS_URL_VARIABLE

DEPLOY = ROOT / "deploy"
CONFIG_FILES = ["credentials.yml", "endpoints.yml", "settings.yml", "deploy/endpoints.yml"]
SECRET_KEY = re.compile(r"(password|passwd|secret|token|api_key)", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


def rasa_services(compose: dict) -> dict[str, dict]:
    return {name: service for name, service in compose["services"].items() if name.startswith("rasa-")}


def test_compose_runs_two_rasa_instances_with_the_tested_endpoints_and_variables(compose):
    services = rasa_services(compose)
    assert len(services) == 2
    for service in services.values():
        assert "--endpoints deploy/endpoints.yml" in service["command"]
        assert {DATABASE_URL_VARIABLE, REDIS_URL_VARIABLE, ACTION_SERVER_URL_VARIABLE} <= set(
            service["environment"]
        )
        assert service["environment"][REDIS_URL_VARIABLE].startswith("redis://redis:")
        assert "--auth-token" in service["command"]
    assert "--endpoints" not in str(compose["services"]["actions"]["command"])


def test_nginx_balances_over_every_rasa_instance_and_keeps_the_api_inside(compose):
    nginx = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    upstream = set(re.findall(r"server (rasa-\d+):5005", nginx))
    assert upstream == set(rasa_services(compose))
    assert "location /webhooks/" in nginx
    assert "/model" not in nginx and "/conversations" not in nginx  # only the channels are proxied
    assert "return 404" in nginx


def test_the_multi_instance_endpoints_read_every_address_from_the_environment():
    endpoints = yaml.safe_load((DEPLOY / "endpoints.yml").read_text(encoding="utf-8"))
    assert endpoints["action_endpoint"]["url"] == "${" + ACTION_SERVER_URL_VARIABLE + "}"
    assert endpoints["lock_store"]["type"] == "prevent_assistant.lock_store.RedisURLLockStore"
    assert endpoints["tracker_store"]["type"] == "prevent_assistant.tracker_store.RedactingSQLTrackerStore"


def _literal_secrets(node: object, path: str = "") -> list[str]:
    """Keys that look like secrets and carry a literal value rather than an environment reference."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if (
                SECRET_KEY.search(str(key))
                and isinstance(value, str | int)
                and not str(value).startswith("${")
            ):
                found.append(where)
            found += _literal_secrets(value, where)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _literal_secrets(value, f"{path}[{index}]")
    return found


@pytest.mark.parametrize("name", CONFIG_FILES)
def test_config_files_hold_no_secrets(name):
    assert _literal_secrets(yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))) == []


def test_compose_takes_every_secret_from_the_environment(compose):
    assert _literal_secrets(compose) == []
    text = (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    # A URL with a password in it must take the password from a variable, and stop if it is not set.
    for password in re.findall(r"://[^:/@\s]+:([^@\s]+)@", text):
        assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", password), password


def test_the_checker_catches_a_literal_secret():
    assert _literal_secrets({"tracker_store": {"password": "hunter2"}}) == ["tracker_store.password"]
    assert _literal_secrets({"x": [{"api_token": "abc"}]}) == ["x[0].api_token"]


@pytest.mark.parametrize("name", ["endpoints.yml", "deploy/endpoints.yml"])
def test_rasa_sends_the_action_server_no_domain(name, monkeypatch):
    """No action reads the domain, so Rasa must not serialise it into every action call; checked with
    Rasa's own request builder on the endpoints a running stack gets (serve.py rewrites the URL)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.utils import AvailableEndpoints
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from prevent_assistant.serve import _endpoints_for

    for variable in (ACTION_SERVER_URL_VARIABLE, DATABASE_URL_VARIABLE, REDIS_URL_VARIABLE):
        monkeypatch.setenv(variable, "redis://127.0.0.1:6379" if variable == REDIS_URL_VARIABLE else "x")
    copy = _endpoints_for("http://127.0.0.1:5055", ROOT / name)
    try:
        endpoint = AvailableEndpoints.read_endpoints(str(copy)).action
    finally:
        copy.unlink()
    request = RemoteAction("action_handoff", endpoint)._action_call_format(
        DialogueStateTracker("someone", []), Domain.load(str(ROOT / "domain.yml"))
    )
    assert endpoint.url == "http://127.0.0.1:5055/webhook"
    assert request["next_action"] == "action_handoff" and "domain" not in request


def test_the_console_is_its_own_internal_service_that_nginx_never_routes(compose):
    nginx = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    console = compose["services"]["console"]
    assert "prevent-assistant" in console["command"] and "console" in console["command"]
    assert all(str(port).startswith("127.0.0.1:") for port in console.get("ports", []))  # loopback only
    assert "console" not in compose["services"]["nginx"].get("depends_on", [])
    proxied = re.findall(r"(?:proxy_pass|server)\s+(?:http://)?([\w.-]+)", nginx)
    assert proxied and not any("console" in target or "5006" in target for target in proxied)
    assert ":5006" not in re.sub(r"#.*", "", nginx)
