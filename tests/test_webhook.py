"""The real servers, started as `make run` starts them, answering through the REST webhook."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

from conftest import LOG_DIR, load_yaml

SUPPORT_LINE = "0800 011 3764"


def send(stack, message, sender: str | None = None) -> requests.Response:
    body = {"sender": sender or uuid.uuid4().hex, "message": message}
    return requests.post(stack.webhook_url, json=body, timeout=30)


def reply_texts(response: requests.Response) -> list[str]:
    return [m["text"] for m in response.json() if m.get("text")]


@pytest.mark.parametrize(
    "message",
    [
        pytest.param("", id="empty"),
        pytest.param("   \n\t ", id="whitespace"),
        pytest.param(("is prevent spying on us " * 209)[:5000], id="5000-characters"),  # the channel maximum
        pytest.param("😡😡😡🤔", id="emoji-only"),
        pytest.param("<script>alert('x')</script><img src=x onerror=alert(1)>", id="html-script"),
        pytest.param("¿Qué es Prevent? No entiendo nada de esto", id="spanish"),
        pytest.param("پریونٹ کیا ہے؟", id="urdu"),
        pytest.param("'; DROP TABLE events; --", id="sql-looking"),
    ],
)
def test_awkward_input_gets_a_sensible_reply(stack, message):
    response = send(stack, message)
    assert response.status_code == 200
    texts = reply_texts(response)
    assert texts, f"no reply to {message[:40]!r}"
    # Whatever the bot made of it, the person is offered a way forward: buttons or the phone line.
    assert any(m.get("buttons") for m in response.json()) or any(SUPPORT_LINE in t for t in texts)
    assert not any("<script>" in t for t in texts), "the bot must not echo markup back"


def test_server_keeps_answering_after_awkward_input(stack):
    send(stack, "x" * 5000)
    texts = reply_texts(send(stack, "is prevent only about muslims?"))
    assert any(t.startswith("Prevent is not aimed at any one faith") for t in texts)


def test_unclear_message_gets_topic_buttons_then_the_phone_line(stack):
    sender = uuid.uuid4().hex
    first = send(stack, "blorp wibble frangle", sender).json()
    assert first[0]["text"].startswith("Sorry, I'm not sure I understood")
    assert [b["payload"] for b in first[0]["buttons"]][-1] == "/request_human"
    second = reply_texts(send(stack, "zzq vrrp mnnk", sender))
    assert any(SUPPORT_LINE in t for t in second)


def test_button_payloads_work_through_the_webhook(stack):
    response = send(stack, "/myth_views")
    messages = response.json()
    assert messages[0]["text"] == load_yaml("domain.yml")["responses"]["utter_myth_views"][0]["text"]
    assert messages[-1]["custom"]["clip"]["myth"] == "views"


def test_message_text_is_not_written_to_the_server_logs(stack):
    marker = f"my neighbour {uuid.uuid4().hex} is worried"
    assert send(stack, marker).status_code == 200
    for log in LOG_DIR.glob("*.log"):
        assert marker not in log.read_text(encoding="utf-8", errors="replace"), f"message text in {log.name}"


def test_the_action_server_redacts_without_loading_tensorflow(stack):
    """Redaction's spaCy would import TensorFlow (about 470 MB) if nothing stopped it; the action server is
    started by `prevent_assistant.action_server`, which does."""
    worried = "I'm worried my son Tom Smith is being radicalised online, who do I call?"
    texts = reply_texts(send(stack, worried))
    # The offer to share ran, and redacted the summary it showed.
    assert any("You: I'm worried my son [name] is being radicalised" in text for text in texts), texts
    assert not any("Tom" in text for text in texts), texts
    maps = Path(f"/proc/{stack.processes.pid('actions')}/maps").read_text(encoding="utf-8")
    assert "/spacy/" in maps  # spaCy's compiled modules are loaded: redaction did run in this process
    assert "tensorflow" not in maps
