"""`prevent-assistant` against a real database: what staff and call handlers see, and how it fails."""

from __future__ import annotations

import os
import subprocess

import pytest
from click.testing import CliRunner

from conftest import CLI
from prevent_assistant.cli import main
from prevent_assistant.db.handoffs import create_handoff, get_handoff, normalise_reference


@pytest.fixture
def cli(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args))


@pytest.fixture
def handoff(sqlite_url):
    return create_handoff(
        "abc",
        "rest",
        ["myth_spying", "request_human"],
        [
            {"speaker": "person", "text": "my name is [name]"},
            {"speaker": "assistant", "text": "Call 0800 011 3764"},
        ],
        url=sqlite_url,
    )


def test_show_prints_the_record_and_transcript(cli, handoff):
    result = cli("handoff", "show", handoff.reference)
    assert result.exit_code == 0, result.stderr
    assert f"Reference:  {handoff.reference}" in result.stdout
    assert "Status:     new" in result.stdout
    assert "Topics:     myth_spying, request_human" in result.stdout
    assert "  Person: my name is [name]" in result.stdout
    assert "  Assistant: Call 0800 011 3764" in result.stdout


def test_show_accepts_a_reference_as_a_caller_reads_it(cli, handoff):
    spoken = handoff.reference.lower().replace("-", " ")
    assert cli("handoff", "show", spoken).exit_code == 0


@pytest.mark.parametrize("bad", ["PRV-7K3", "hello", "PRV-0O1I", "PRV-7K3QQ", ""])
def test_malformed_reference_is_a_clear_error(cli, bad):
    result = cli("handoff", "show", bad)
    assert result.exit_code == 2
    assert "is not a handoff reference" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_unknown_reference_says_so(cli, handoff):
    other = "PRV-7K3Q" if handoff.reference != "PRV-7K3Q" else "PRV-7K3R"
    result = cli("handoff", "show", other)
    assert result.exit_code == 1
    assert f"no handoff with reference {other}" in result.stderr


def test_list_filters_by_status_and_close_changes_it(cli, handoff, sqlite_url):
    assert handoff.reference in cli("handoff", "list", "--status", "new").stdout
    pick_up = cli("handoff", "pick-up", handoff.reference)
    assert pick_up.exit_code == 0 and "is now picked up" in pick_up.stdout
    close = cli("handoff", "close", handoff.reference)
    assert close.exit_code == 0 and "is now closed" in close.stdout
    assert get_handoff(handoff.reference, url=sqlite_url).status == "closed"
    assert "No handoffs with status new." in cli("handoff", "list", "--status", "new").stdout
    assert handoff.reference in cli("handoff", "list", "--status", "closed").stdout


def test_bad_status_and_duration_are_usage_errors(cli):
    assert cli("handoff", "list", "--status", "lost").exit_code == 2
    result = cli("purge", "--older-than", "a while")
    assert result.exit_code == 2
    assert "'a while' is not a duration" in result.stderr


def test_database_unreachable_is_one_plain_line(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/unreachable")
    result = CliRunner().invoke(main, ["handoff", "list"])
    assert result.exit_code == 3
    assert result.stderr.startswith("error: cannot use the database")
    assert "Traceback" not in result.stderr


def test_installed_console_script_runs(sqlite_url, handoff):
    """The entry point declared in pyproject.toml, as staff run it."""
    env = {**os.environ, "DATABASE_URL": sqlite_url}
    shown = subprocess.run(
        [str(CLI), "handoff", "show", handoff.reference], env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert handoff.reference in shown.stdout
    upgraded = subprocess.run([str(CLI), "db", "upgrade"], env=env, capture_output=True, text=True)
    assert upgraded.returncode == 0 and "up to date" in upgraded.stdout


def test_normalise_reference_round_trips():
    assert normalise_reference(" prv-7k3q ") == "PRV-7K3Q"
    assert normalise_reference("7K3Q") == "PRV-7K3Q"
