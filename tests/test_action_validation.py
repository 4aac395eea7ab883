"""The action-server reply check compiled once (prevent_assistant/action_validation.py): same verdicts and
error as Rasa's, and it refuses to replace a method it was not written for."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from prevent_assistant import action_validation

VALID = {"events": [{"event": "slot", "name": "myth", "value": "faith"}], "responses": [{"text": "hi"}]}
INVALID = {"events": [{"event": "slot", "name": 42}], "responses": "not a list"}


@pytest.fixture
def remote_action() -> RemoteAction:
    action_validation.install()
    return RemoteAction("action_handoff", action_endpoint=None)


def test_installing_replaces_rasas_check_once(remote_action):
    installed = RemoteAction._validate_action_result
    action_validation.install()
    assert RemoteAction._validate_action_result is installed is action_validation._validate_action_result


def test_a_valid_reply_passes_and_an_invalid_one_is_refused_with_rasas_error(remote_action):
    assert remote_action._validate_action_result(VALID) is True
    with pytest.raises(ValidationError) as refused:
        remote_action._validate_action_result(INVALID)
    assert "Failed to validate Action server response from API" in refused.value.message


def test_it_refuses_loudly_to_replace_a_method_it_was_not_written_for(monkeypatch):
    def changed(self, result):  # what a future Rasa might have instead
        return True

    monkeypatch.setattr(RemoteAction, "_validate_action_result", changed)
    with pytest.raises(action_validation.RasaChanged, match="Rasa 3.6.21"):
        action_validation.install()
    assert RemoteAction._validate_action_result is changed
