"""Swap the running server to a new model through Rasa's HTTP API, without a restart.

Rasa's `PUT /model` loads the new model beside the old one and switches over when it is ready, so
conversations keep being answered during the swap (tests/test_deploy.py sends a steady stream through it).
"""

from __future__ import annotations

import os
from pathlib import Path

import requests

from prevent_assistant.settings import API_TOKEN_FILE, API_TOKEN_VARIABLE


class DeployError(RuntimeError):
    """A deployment that did not happen, with a reason staff can act on."""


def newest_model(models: Path) -> Path:
    candidates = sorted(models.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not candidates:
        raise DeployError(f"no model in {models}; run `prevent-assistant train` first")
    return candidates[-1]


def api_token(token_file: Path = API_TOKEN_FILE) -> str:
    """RASA_API_TOKEN, else the token `make run` left for this machine in the project's var/api-token."""
    token = os.environ.get(API_TOKEN_VARIABLE, "").strip()
    if not token and token_file.exists():
        token = token_file.read_text(encoding="utf-8").strip()
    if not token:
        raise DeployError(f"no API token: set {API_TOKEN_VARIABLE} to the token the server was started with")
    return token


def deploy(model: Path, server: str, token: str, timeout: float = 600) -> str:
    """Load `model` into the server at `server`; return the id of the model it now runs."""
    try:
        loaded = requests.put(
            f"{server}/model",
            params={"token": token},
            json={"model_file": str(model.resolve())},
            timeout=timeout,
        )
    except requests.ConnectionError:
        raise DeployError(f"cannot reach the assistant at {server}; is it running?") from None
    if loaded.status_code in (401, 403):
        raise DeployError("the server refused the API token; use the one it was started with")
    if loaded.status_code != 204:
        reason = loaded.json().get("message", loaded.text) if loaded.content else loaded.reason
        raise DeployError(f"the server could not load {model.name}: {reason}")
    status = requests.get(f"{server}/status", params={"token": token}, timeout=30)
    status.raise_for_status()
    return str(status.json()["model_id"])
