"""The test tiers: conftest.py marks each test by what it uses, and `make test-fast` leaves out every test
that needs a server, a database server, the browser, the model or training, with nobody marking by hand."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT, TIER_MARKERS, needs_of, require_marker, start_stack
from prevent_assistant.processes import ServerProcesses

# Collected in a separate pytest, as `make test-fast` collects them: one module of each kind.
SAMPLE_FILES = [
    "test_webhook.py",  # the `stack` fixture
    "test_faults.py",  # start_stack called in the test itself; the `database` fixture
    "test_storage.py",  # the `database` fixture: SQLite and PostgreSQL cases
    "test_lock_store.py",  # Redis, through a fixture of its own module
    "test_questions.py",  # the model, through a fixture of its own module
    "test_staff_guide.py",  # a copy of the project, retrained
    "test_widget_embedding.py",  # Playwright in two tests; file checks in others
    "test_validation.py",  # nothing at all
]

RECORDER = """
import json, os

marks = {"selected": {}, "deselected": {}}

def record(kind, items):
    tiers = os.environ["TIER_MARKERS"].split()
    for item in items:
        marks[kind][item.nodeid] = sorted(m.name for m in item.iter_markers() if m.name in tiers)

def pytest_deselected(items):
    record("deselected", items)

def pytest_collection_finish(session):
    record("selected", session.items)
    with open(os.environ["TIER_REPORT"], "w") as report:
        json.dump(marks, report)
"""


def fast_expression() -> str:
    """The -m expression of `make test-fast`, read from the Makefile so the test checks the real target."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    found = re.search(r'^test-fast:.*\n(?:\t.*\n)*?\t.*pytest -m "([^"]+)"', makefile, re.MULTILINE)
    assert found, "no `pytest -m` line under test-fast in the Makefile"
    return found.group(1)


def collected(tmp_path, *arguments: str) -> dict[str, dict[str, list[str]]]:
    """The tests pytest selects and leaves out from SAMPLE_FILES with `arguments`, with their tier markers."""
    (tmp_path / "tier_recorder.py").write_text(RECORDER, encoding="utf-8")
    report = tmp_path / "report.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])),
        "TIER_MARKERS": " ".join(TIER_MARKERS),
        "TIER_REPORT": str(report),
    }
    files = [f"tests/{name}" for name in SAMPLE_FILES]
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "tier_recorder"]
    done = subprocess.run(
        [*command, "-p", "no:cacheprovider", *arguments, *files],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(report.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def fast(tmp_path_factory) -> dict[str, dict[str, list[str]]]:
    """The sample as `make test-fast` collects it."""
    return collected(tmp_path_factory.mktemp("tiers"), "-m", fast_expression())


@pytest.fixture(scope="module")
def everything(fast) -> dict[str, list[str]]:
    return {**fast["selected"], **fast["deselected"]}


def test_each_test_is_marked_by_what_it_uses(everything):
    killed = "test_myth_answers_and_the_phone_line_arrive_after_the_action_server_is_killed"
    expected = {
        "tests/test_webhook.py::test_server_keeps_answering_after_awkward_input": ["model", "stack"],
        f"tests/test_faults.py::{killed}": ["model", "stack"],
        "tests/test_faults.py::test_rasa_server_restarted_mid_conversation_keeps_the_history[postgresql]": [
            "model", "postgres", "stack",
        ],
        "tests/test_storage.py::test_user_text_is_redacted_before_it_is_written[sqlite]": [],
        "tests/test_storage.py::test_user_text_is_redacted_before_it_is_written[postgresql]": ["postgres"],
        "tests/test_lock_store.py::test_two_instances_never_hold_the_same_conversation_at_once": ["redis"],
        "tests/test_lock_store.py::test_a_missing_or_wrong_url_is_a_plain_error": [],
        "tests/test_staff_guide.py::test_add_a_faq_topic_as_the_guide_says": ["training"],
        "tests/test_widget_embedding.py::test_a_site_not_on_the_allow_list_gets_no_widget": [
            "browser", "model", "stack",
        ],
        "tests/test_widget_embedding.py::test_modules_import_only_served_modules": [],
        "tests/test_validation.py::test_problems_print_as_one_line_with_file_and_line": [],
    }  # fmt: skip
    assert {nodeid: everything.get(nodeid) for nodeid in expected} == expected
    questions = [marks for nodeid, marks in everything.items() if "test_questions.py" in nodeid]
    assert questions and all(marks == ["model"] for marks in questions)


def test_test_fast_leaves_out_every_marked_test_and_keeps_the_rest(fast, everything):
    assert set(fast["selected"]) == {nodeid for nodeid, marks in everything.items() if not marks}
    assert "tests/test_validation.py::test_problems_print_as_one_line_with_file_and_line" in fast["selected"]
    assert (
        "tests/test_storage.py::test_user_text_is_redacted_before_it_is_written[sqlite]" in fast["selected"]
    )
    assert "tests/test_webhook.py::test_server_keeps_answering_after_awkward_input" in fast["deselected"]
    assert not any("test_questions.py" in nodeid for nodeid in fast["selected"])
    assert set(TIER_MARKERS) == set(re.findall(r"\w+", fast_expression())) - {"not", "or"}


def _starts_a_stack_through_a_helper() -> None:
    _helper_that_starts_one()


def _helper_that_starts_one() -> None:
    with start_stack("sqlite://"):
        pass


def _starts_another_server() -> None:
    ServerProcesses(cwd=ROOT, log_dir=ROOT / "test-artifacts" / "logs").start("x", ["true"], "http://x/", {})


# Reached through a tuple, so this module's tests do not name the helpers (and are not marked by them).
HELPERS = (_starts_a_stack_through_a_helper, _starts_another_server, fast_expression)


def test_a_helper_that_starts_a_server_marks_whoever_calls_it_however_deep():
    indirect, other_server, plain = HELPERS
    assert needs_of(indirect) == {"stack", "model"}
    assert needs_of(other_server) == {"stack"}
    assert needs_of(plain) == set()


def test_a_test_that_reaches_a_stack_unmarked_fails_instead_of_running_in_the_fast_tier():
    with pytest.raises(pytest.fail.Exception, match="needs `stack` but is not marked so"):
        require_marker("stack")
