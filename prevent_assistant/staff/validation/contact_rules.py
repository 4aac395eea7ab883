"""Phone numbers in the answers: only verified ones (content/contacts.yml), and every tel: link dials the
number it shows.

A mistyped digit would send a worried person to a stranger. `validate` checks every answer, and the console
runs the same function on one answer as it is typed, so a number can be changed in neither place unless it
is on the verified list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from prevent_assistant.paths import ProjectPaths
from prevent_assistant.staff.validation.accessors import _response_label, response_variations, responses_in
from prevent_assistant.staff.validation.problem import Problem
from prevent_assistant.staff.validation.project import Project

CONTACTS = "contacts"
CONTACTS_FILE = f"content/{CONTACTS}.yml"
# Freephone and textphone numbers as answers write them: "0800 011 3764", "0800 789 321", "18001 101".
PHONE_NUMBER = re.compile(r"(?<![\d+])(?:0800|18001)(?:[ ]?\d){3,8}(?!\d)")
TEL_LINK = re.compile(r"\[([^\]]+)\]\((tel:[^)\s]*)\)")


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def verified_numbers(root: Path) -> frozenset[str] | None:
    """The verified numbers' digits; None when the project has no list (every number is then refused)."""
    path = ProjectPaths(root).content(CONTACTS)
    if not path.exists():
        return None
    listed = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("verified_numbers") or []
    return frozenset(digits(str(entry.get("number", ""))) for entry in listed if isinstance(entry, dict))


def dialled(shown: str) -> str:
    """The tel: link that dials `shown`: a UK number in international form, a short number as it is."""
    number = digits(shown)
    return f"tel:+44{number[1:]}" if number.startswith("0") else f"tel:{number}"


def phone_messages(label: str, text: str, verified: frozenset[str] | None) -> list[str]:
    """What is wrong with the phone numbers and tel: links of the answer `label` (empty: nothing)."""
    messages = []
    for number in dict.fromkeys(match.strip() for match in PHONE_NUMBER.findall(text)):
        if verified is None:
            messages.append(
                f"the answer {label} gives the number {number}, but the project has no list of verified "
                f"numbers: add {CONTACTS_FILE} with each number and its source"
            )
        elif digits(number) not in verified:
            messages.append(
                f"the answer {label} gives {number}, which is not a verified number; use a number from "
                f"{CONTACTS_FILE}, or check it against the facts file and add it there with its source"
            )
    for shown, target in TEL_LINK.findall(text):
        if target != dialled(shown):
            messages.append(
                f"the answer {label} links '{shown}' to {target}, which dials another number; "
                f"write the link as ({dialled(shown)})"
            )
    return messages


def check_phone_numbers(project: Project) -> Iterator[Problem]:
    verified = verified_numbers(project.root)
    for file in project.response_files():
        responses = responses_in(project, file)
        for name, number, variation, line in response_variations(responses):
            label = _response_label(name, number, responses)
            for message in phone_messages(label, str(variation.get("text") or ""), verified):
                yield Problem(file, line, message)
