"""Deploying a new model into the running server: token required, no failed request during the swap."""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid

import requests
from threads import in_background

from conftest import CLI, ROOT, start_stack
from stack_config import credentials_with

CHANGED = (
    "This is the new answer about Channel, put in for a test of the deploy step. Source: "
    "[westminster.gov.uk](https://westminster.gov.uk/prevent/safeguarding-vulnerable-individuals/channel-referral-process)"
)


def test_the_http_api_is_refused_without_the_token(stack):
    assert requests.get(f"{stack.rasa_url}/status", timeout=10).status_code == 401
    assert requests.get(f"{stack.rasa_url}/status", params={"token": "guess"}, timeout=10).status_code == 401
    refused = requests.put(f"{stack.rasa_url}/model", json={"model_file": "/etc/passwd"}, timeout=10)
    assert refused.status_code == 401
    assert requests.get(f"{stack.rasa_url}/status", params={"token": stack.api_token}, timeout=10).ok


def train_changed_model(project) -> None:
    """A real retrain of a copy with one answer changed, as staff would do; Rasa's cache keeps it quick."""
    domain = project / "domain.yml"
    text = domain.read_text(encoding="utf-8")
    start = text.index("  utter_what_is_channel:\n    - text: >-\n") + len(
        "  utter_what_is_channel:\n    - text: >-\n"
    )
    domain.write_text(
        text[:start] + f"        {CHANGED}\n" + text[text.index("\n\n", start) :], encoding="utf-8"
    )
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(ROOT / ".rasa" / "cache")}
    trained = subprocess.run(
        [str(CLI), "train"], cwd=project, env=env, capture_output=True, text=True, timeout=900
    )
    assert trained.returncode == 0, trained.stdout[-2000:] + trained.stderr[-2000:]


def test_deploy_swaps_the_model_with_no_failed_request(project_copy, tmp_path):
    train_changed_model(project_copy)
    outcomes: list[str] = []
    stop = threading.Event()

    # The stream sends faster than any person from one address; limits are not what this test is about.
    unlimited = credentials_with(tmp_path / "unlimited", {"enabled": False})
    with start_stack(f"sqlite:///{tmp_path / 'prevent.db'}", credentials=unlimited) as live:

        def steady_stream() -> None:
            while not stop.is_set():
                body = {"sender": uuid.uuid4().hex, "message": "is prevent spying on us"}
                try:
                    reply = requests.post(live.webhook_url, json=body, timeout=120)
                    ok = reply.status_code == 200 and reply.json()[0]["text"].startswith(
                        "Prevent is not spying"
                    )
                    outcomes.append("ok" if ok else f"bad {reply.status_code} {reply.text[:80]}")
                except requests.RequestException as error:
                    outcomes.append(f"error {error}")
                time.sleep(0.1)

        # A stream that crashes or never stops fails the test (tests/threads.py), rather than passing quietly.
        with in_background([steady_stream], timeout=180):
            time.sleep(2)
            env = {**os.environ, "RASA_API_TOKEN": live.api_token}
            deployed = subprocess.run(
                [str(CLI), "deploy", "--server", live.rasa_url],
                cwd=project_copy,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            time.sleep(2)
            stop.set()
        assert deployed.returncode == 0, deployed.stderr
        assert "Deployed: the assistant now runs model" in deployed.stdout
        after = requests.post(
            live.webhook_url, json={"sender": uuid.uuid4().hex, "message": "what is channel"}
        )
        assert after.json()[0]["text"] == CHANGED

    assert len(outcomes) >= 10, "the stream should have kept sending during the swap"
    assert [o for o in outcomes if o != "ok"] == []


def test_deploy_with_a_wrong_token_is_refused_plainly(stack, project_copy):
    env = {**os.environ, "RASA_API_TOKEN": "not-the-token"}
    done = subprocess.run(
        [str(CLI), "deploy", "--model", str(ROOT / "models" / "prevent.tar.gz"), "--server", stack.rasa_url],
        cwd=project_copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "refused the API token" in done.stderr
