"""Faults while people are talking: the action server dies, the database restarts, the Rasa server restarts.

The answers that matter most (the myths, the phone line, 999) live in the domain, so they must keep coming
when the action server is gone; the conversation lives in the database, so a Rasa restart must keep it and a
database restart must not need a Rasa restart.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from conftest import MYTHS, free_port, load_yaml, migrated, start_stack

SUPPORT_LINE = "0800 011 3764"
MYTH_QUESTIONS = {
    "faith": "does prevent only target muslims?",
    "spying": "is prevent spying on people?",
    "criminalisation": "will a referral give me a criminal record?",
    "ideology": "is prevent only about islamist extremism?",
    "views": "can I be referred just for my opinions?",
}


def say(stack, sender: str, message: str) -> requests.Response:
    return requests.post(stack.webhook_url, json={"sender": sender, "message": message}, timeout=60)


def texts(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [message.get("text", "") for message in response.json()]


def tracker_texts(stack, sender: str) -> list[str]:
    """The person's messages as the server holds them, through the token-protected HTTP API."""
    response = requests.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker",
        params={"token": stack.api_token},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return [event["text"] for event in response.json()["events"] if event["event"] == "user"]


def test_myth_answers_and_the_phone_line_arrive_after_the_action_server_is_killed(sqlite_url):
    answers = {myth: load_yaml("domain.yml")["responses"][f"utter_myth_{myth}"][0]["text"] for myth in MYTHS}
    sender = uuid.uuid4().hex
    with start_stack(sqlite_url) as stack:
        say(stack, sender, "can I speak to someone")
        assert any("PRV-" in text for text in texts(say(stack, sender, "/affirm")))  # shared: a reference

        stack.processes.stop("actions", kill=True)

        for myth, question in MYTH_QUESTIONS.items():
            replies = texts(say(stack, sender, question))
            assert replies[0] == answers[myth]
            assert any("youtube" in text or "http" in text for text in replies[1:]), "no clip link"
        handoff = texts(say(stack, sender, "I'm worried my nephew is being radicalised online"))
        assert SUPPORT_LINE in handoff[0]
        danger = texts(say(stack, sender, "someone is threatening to attack people right now"))
        assert "999" in danger[0]
        assert tracker_texts(stack, sender)[-1] == "someone is threatening to attack people right now"


def test_rasa_server_restarted_mid_conversation_keeps_the_history(database):
    sender = uuid.uuid4().hex
    with start_stack(database) as stack:
        offer = texts(say(stack, sender, "what is prevent"))
        assert offer[-1] == "Would you like to hear about some common myths about Prevent?"

        stack.processes.restart("rasa")

        assert tracker_texts(stack, sender) == ["what is prevent"]
        # "yes" only means "show the myths" if the server remembers what it asked before the restart.
        answer = texts(say(stack, sender, "yes"))
        assert answer[0].startswith("Here are five things people often get wrong about Prevent")


# --- The database restarts ---------------------------------------------------------------------------------
@contextmanager
def private_postgres() -> Iterator[tuple[str, Path, list[str]]]:
    """A PostgreSQL server of this test's own, so restarting it disturbs nobody else's database.

    Yields (url, data folder, the command prefix that runs pg_ctl as the right user). initdb refuses to
    run as root, so under root (CI) the server runs as the machine's `postgres` user.
    """
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not binaries:
        pytest.skip("PostgreSQL server binaries are not installed")
    bindir = Path(binaries[-1]).parent
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = Path(tempfile.mkdtemp(prefix="prevent-pg-"))
    if as_owner:
        shutil.chown(data, "postgres")
    port = free_port()
    try:
        subprocess.run([*as_owner, bindir / "initdb", "-D", data, "-A", "trust", "-U", "postgres"],
                       check=True, capture_output=True)  # fmt: skip
        options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
        pg_ctl = [*as_owner, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", f"{data}/log"]
        subprocess.run([*pg_ctl, "-w", "start"], check=True, capture_output=True)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres", data, pg_ctl
    finally:
        subprocess.run(
            [*as_owner, bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(data, ignore_errors=True)


def test_the_bot_recovers_from_a_database_restart_without_being_restarted():
    responses = load_yaml("domain.yml")["responses"]
    answer = {myth: responses[f"utter_myth_{myth}"][0]["text"] for myth in MYTHS}
    sender = uuid.uuid4().hex
    with private_postgres() as (url, _data, pg_ctl), start_stack(migrated(url)) as stack:
        assert texts(say(stack, sender, MYTH_QUESTIONS["spying"]))[0] == answer["spying"]

        subprocess.run([*pg_ctl, "-m", "fast", "-w", "restart"], check=True, capture_output=True)
        # The first message after the restart must find the stored conversation, not a dead pooled
        # connection (the tracker store pre-pings its connections).
        assert texts(say(stack, sender, MYTH_QUESTIONS["faith"]))[0] == answer["faith"]
        assert tracker_texts(stack, sender) == [MYTH_QUESTIONS["spying"], MYTH_QUESTIONS["faith"]]

        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], check=True, capture_output=True)
        # Rasa's fail-safe tracker store answers from memory while the database is away: the person still
        # gets the answer, but that turn is not stored.
        assert texts(say(stack, sender, MYTH_QUESTIONS["ideology"]))[0] == answer["ideology"]
        assert SUPPORT_LINE in texts(say(stack, sender, "can I speak to someone"))[0]

        subprocess.run([*pg_ctl, "-w", "start"], check=True, capture_output=True)
        assert texts(say(stack, sender, MYTH_QUESTIONS["views"]))[0] == answer["views"]
        stored = [MYTH_QUESTIONS["spying"], MYTH_QUESTIONS["faith"], MYTH_QUESTIONS["views"]]
        assert tracker_texts(stack, sender) == stored
