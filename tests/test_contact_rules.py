"""The phone-number rules `validate` and the console share: only verified numbers, and tel: links that dial
what they show. A wrong digit would send a worried person to a stranger."""

from __future__ import annotations

from pathlib import Path

import pytest

from prevent_assistant.staff.validation.contact_rules import dialled, phone_messages, verified_numbers
from prevent_assistant.staff.validation.one_answer import check_answer
from prevent_assistant.staff.validation.project import load_project

ROOT = Path(__file__).resolve().parent.parent
VERIFIED = frozenset({"08000113764", "0800789321", "18001101"})


def test_the_projects_list_holds_the_support_line_and_the_hotline():
    verified = verified_numbers(ROOT)
    assert verified is not None and {"08000113764", "0800789321"} <= verified


@pytest.mark.parametrize(
    "text",
    [
        "Call the ACT Early Support Line on [0800 011 3764](tel:+448000113764), 9am to 5pm every day.",
        "Report suspicious activity on 0800 789 321. Textphone: 18001 101. In danger, call [999](tel:999).",
    ],
)
def test_verified_numbers_and_matching_links_pass(text):
    assert phone_messages("utter_x", text, VERIFIED) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call 0800 011 3746 to talk to someone.", "0800 011 3746, which is not a verified number"),
        ("Call [0800 011 3764](tel:+448000113746).", "which dials another number; write the link as"),
        ("Call [999](tel:+44999).", "write the link as (tel:999)"),
    ],
    ids=["mistyped-number", "link-dials-another-number", "999-link"],
)
def test_a_wrong_number_or_link_is_refused_with_what_to_do(text, expected):
    (message,) = phone_messages("utter_x", text, VERIFIED)
    assert message.startswith("the answer utter_x ") and expected in message


def test_without_a_list_every_number_is_refused(tmp_path):
    assert verified_numbers(tmp_path) is None
    (message,) = phone_messages("utter_x", "Call 0800 011 3764.", None)
    assert "no list of verified numbers" in message


def test_dialled_numbers():
    assert dialled("0800 011 3764") == "tel:+448000113764"
    assert dialled("999") == "tel:999"


def test_the_console_refuses_a_mistyped_support_line_as_it_is_typed():
    """check_answer is what the console's live check and save run on an edited answer."""
    project, _ = load_project(ROOT)
    report = check_answer(project, "utter_support_line", "Call the line on 0800 011 3746, 9am to 5pm.")
    assert not report.ok and any("not a verified number" in message for message in report.messages)
