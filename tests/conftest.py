"""Shared fixtures: the trained model loaded in-process, and a real Rasa + action server stack."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from prevent_assistant.serve import Stack, running_stack

ROOT = Path(__file__).resolve().parent.parent
MODEL = Path(os.environ.get("PREVENT_MODEL", ROOT / "models" / "prevent.tar.gz"))
MYTHS = ["faith", "spying", "criminalisation", "ideology", "views"]


def load_yaml(relative: str) -> dict:
    return yaml.safe_load((ROOT / relative).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def domain() -> dict:
    return load_yaml("domain.yml")


@pytest.fixture(scope="session")
def responses(domain: dict) -> dict[str, list[dict]]:
    return domain["responses"]


def _require_model() -> Path:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does this first)")
    return MODEL


@pytest.fixture(scope="session")
def event_loop_runner() -> Iterator[asyncio.AbstractEventLoop]:
    """One loop for the session: Rasa's Agent keeps loop-bound state between calls."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def agent(event_loop_runner):
    """The trained model, in-process, with no action server (so custom actions are unavailable)."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa logs message text at debug level; keep it out of reports

    return Agent.load(str(_require_model()))


@pytest.fixture(scope="session")
def chat(agent, event_loop_runner):
    """Send one message to the in-process agent and return the bot's messages."""

    def send(text: str, sender: str = "pytest") -> list[dict]:
        return event_loop_runner.run_until_complete(agent.handle_text(text, sender_id=sender))

    return send


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """A real Rasa server and action server on free localhost ports, as `make run` starts them."""
    log_dir = ROOT / "test-artifacts" / "logs"
    with running_stack(_require_model(), free_port(), free_port(), log_dir=log_dir) as running:
        yield running
