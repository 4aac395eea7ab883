"""`prevent-assistant` against a real database: what staff and call handlers see, and how it fails."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from conftest import CLI, free_port
from prevent_assistant.cli import main
from prevent_assistant.db import engine_for
from prevent_assistant.db.handoffs import (
    create_handoff,
    get_handoff,
    list_handoffs,
    normalise_reference,
    set_status,
)
from prevent_assistant.db.models import Handoff, utc_now
from prevent_assistant.tracker_store import RedactingSQLTrackerStore


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


def test_status_changes_from_the_command_line_go_into_the_history(cli, handoff):
    assert cli("handoff", "pick-up", handoff.reference).exit_code == 0
    assert cli("handoff", "pick-up", handoff.reference).exit_code == 0  # no change, so no second step
    close = cli("handoff", "close", handoff.reference, "--outcome", "signposted")
    assert close.exit_code == 0 and "is now closed" in close.stdout
    shown = cli("handoff", "show", handoff.reference).stdout
    steps = shown.split("History (UTC):\n", 1)[1].splitlines()
    assert [re.sub(r"^  \S+ \S+  ", "", step) for step in steps] == [
        "shared (the person)",
        "picked up (command line)",
        "closed: signposted (command line)",
    ]


def test_closing_with_an_outcome_not_in_the_list_is_refused_plainly(cli, handoff, sqlite_url):
    result = cli("handoff", "close", handoff.reference, "--outcome", "sorted")
    assert result.exit_code == 2
    assert "'sorted' is not an outcome; use one of advice_given" in result.stderr
    assert "Traceback" not in result.output
    assert get_handoff(handoff.reference, url=sqlite_url).status == "new"
    again = cli("handoff", "close", handoff.reference)
    assert again.exit_code == 0
    refused = cli("handoff", "close", handoff.reference, "--outcome", "signposted")
    assert refused.exit_code == 2 and "is already closed" in refused.stderr


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


# --- Every command works on the --project folder -----------------------------------------------------------
OTHER_CONFIG = "pipeline:\n  - name: FallbackClassifier\n    threshold: 0.6\n"
OTHER_DOMAIN = "intents:\n  - myth_only_here\n  - myth_nobody_asked\n"


@pytest.fixture
def other(tmp_path, monkeypatch) -> Path:
    """Another project folder, with its own settings, config, domain and (DATABASE_URL unset) database."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("RASA_API_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # not the installed project: nothing may be found there by accident
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "settings.yml").write_text("organisation: Other Council\nretention: 10d\n", encoding="utf-8")
    (folder / "config.yml").write_text(OTHER_CONFIG, encoding="utf-8")
    (folder / "domain.yml").write_text(OTHER_DOMAIN, encoding="utf-8")
    return folder


def in_project(folder: Path, *args: str):
    return CliRunner().invoke(main, ["--project", str(folder), *args])


def other_database(folder: Path) -> str:
    return f"sqlite:///{folder / 'var' / 'prevent.db'}"


@pytest.fixture
def other_db(other) -> str:
    upgraded = in_project(other, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    return other_database(other)


def test_db_upgrade_migrates_the_projects_own_database(other):
    result = in_project(other, "db", "upgrade")
    assert result.exit_code == 0 and "up to date" in result.stdout
    tables = sa.inspect(engine_for(other_database(other))).get_table_names()
    assert {"handoffs", "alembic_version"} <= set(tables)


def test_handoff_commands_use_the_projects_database(other, other_db):
    record = create_handoff("c-1", "rest", ["myth_only_here"], [], url=other_db)
    listed = in_project(other, "handoff", "list")
    assert listed.exit_code == 0 and record.reference in listed.stdout
    shown = in_project(other, "handoff", "show", record.reference)
    assert shown.exit_code == 0 and "Topics:     myth_only_here" in shown.stdout
    assert in_project(other, "handoff", "pick-up", record.reference).exit_code == 0
    assert get_handoff(record.reference, url=other_db).status == "picked_up"
    assert in_project(other, "handoff", "close", record.reference).exit_code == 0
    assert get_handoff(record.reference, url=other_db).status == "closed"


def test_purge_uses_the_projects_retention_and_database(other, other_db):
    """The installed settings.yml keeps 30 days; the other project 10 days, so a 12-day-old handoff is due."""
    record = create_handoff("c-2", "rest", [], [], url=other_db)
    set_status(record.reference, "closed", url=other_db)
    with engine_for(other_db).begin() as connection:
        connection.execute(sa.update(Handoff.__table__).values(created_at=utc_now() - timedelta(days=12)))
    result = in_project(other, "purge")
    assert result.exit_code == 0, result.stderr
    assert "1 closed handoff(s)" in result.stdout
    assert list_handoffs(url=other_db) == []


def save_message(url: str, sender: str, text: str, intent: str, confidence: float) -> None:
    parsed = {"name": intent, "confidence": confidence}
    data = {"intent": parsed, "entities": [], "text": text, "intent_ranking": [parsed]}
    events = [
        ActionExecuted("action_listen"),
        UserUttered(text, intent=parsed, parse_data=data),
        BotUttered("Here is what I know about that."),
    ]
    store = RedactingSQLTrackerStore(domain=Domain.empty(), url=url)
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


def test_review_uses_the_projects_threshold_database_and_folder(other, other_db):
    """0.5 is sure for the installed config.yml (0.2) but unsure for the other project's (0.6)."""
    save_message(other_db, "s-1", "does this only happen here", "myth_only_here", 0.5)
    result = in_project(other, "review", "--export", "inbox.yml")
    assert result.exit_code == 0, result.stderr
    assert "unsure means below 0.6" in result.stdout
    assert "does this only happen here" in result.stdout
    exported = other / "inbox.yml"
    assert "- intent: myth_only_here" in exported.read_text(encoding="utf-8")


def test_stats_uses_the_projects_domain_database_and_folder(other, other_db):
    save_message(other_db, "s-2", "does this only happen here", "myth_only_here", 0.9)
    result = in_project(other, "stats")
    assert result.exit_code == 0, result.stderr
    assert re.search(r"myth_only_here\s+1\b", result.stdout)
    assert re.search(r"myth_nobody_asked\s+0\b", result.stdout)  # only the other domain lists it
    assert (other / "results" / "stats.png").read_bytes().startswith(b"\x89PNG")


def test_validate_and_train_check_the_projects_data(other):
    """The other project has no training data: both commands must say so rather than use the installed one."""
    validated = in_project(other, "validate")
    assert validated.exit_code == 1 and "problem(s) found" in validated.stderr
    trained = in_project(other, "train")
    assert trained.exit_code == 1 and "Not training" in trained.stderr
    assert not (other / "models").exists()


def test_test_and_deploy_look_for_models_in_the_project(other):
    tested = in_project(other, "test")
    assert tested.exit_code == 1
    assert f"no model at {other / 'models' / 'prevent.tar.gz'}" in tested.stderr
    deployed = in_project(other, "deploy")
    assert deployed.exit_code == 2 and f"no model in {other / 'models'}" in deployed.stderr


def test_deploy_reads_the_projects_api_token(other):
    (other / "models").mkdir()
    (other / "models" / "new.tar.gz").write_bytes(b"model")
    server = f"http://127.0.0.1:{free_port()}"
    without = in_project(other, "deploy", "--server", server)
    assert without.exit_code == 2 and "no API token" in without.stderr
    (other / "var").mkdir()
    (other / "var" / "api-token").write_text("token-of-the-other-project", encoding="utf-8")
    with_token = in_project(other, "deploy", "--server", server)
    assert with_token.exit_code == 2 and "cannot reach the assistant" in with_token.stderr
