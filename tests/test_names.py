"""prevent_assistant/names.py is the one home for names more than one module uses; where Rasa or rasa-sdk
defines the same name, the two must agree, so a Rasa upgrade that renames one fails here first."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import rasa_sdk.events
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME, UTTER_PREFIX
from rasa.shared.core.constants import DEFAULT_INTENTS
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.nlu.constants import RESPONSE_IDENTIFIER_DELIMITER

from conftest import ROOT, load_yaml
from prevent_assistant import names
from prevent_assistant.staff.validation.project import RESPONSE_PREFIX

SOURCES = [
    path
    for folder in ("prevent_assistant", "actions", "bench")
    for path in sorted((ROOT / folder).rglob("*.py"))
    if "migrations" not in path.parts
]


def test_names_agree_with_rasa_and_rasa_sdk():
    assert names.FALLBACK_INTENT == DEFAULT_NLU_FALLBACK_INTENT_NAME
    assert names.FALLBACK_INTENT in DEFAULT_INTENTS
    assert names.RETRIEVAL_DELIMITER == RESPONSE_IDENTIFIER_DELIMITER
    assert RESPONSE_PREFIX == UTTER_PREFIX
    assert (
        UserUttered.type_name,
        BotUttered.type_name,
        ActionExecuted.type_name,
    ) == (names.USER_EVENT, names.BOT_EVENT, names.ACTION_EVENT)
    # What the action server receives and sends (rasa_sdk builds event dicts with these keys).
    sdk = (
        rasa_sdk.events.UserUttered("x"),
        rasa_sdk.events.BotUttered("x"),
        rasa_sdk.events.ActionExecuted("a"),
    )
    assert tuple(event["event"] for event in sdk) == (names.USER_EVENT, names.BOT_EVENT, names.ACTION_EVENT)


def test_project_names_exist_in_the_domain():
    """A name here that the domain no longer has would make every module that uses it silently wrong."""
    domain = load_yaml("domain.yml")
    intents = {next(iter(i)) if isinstance(i, dict) else i for i in domain["intents"]}
    for intent in (
        names.OTHER_LANGUAGE_INTENT,
        names.EMERGENCY_INTENT,
        names.HANDOFF_INTENT,
        names.FAQ_INTENT,
    ):
        assert intent in intents
    assert any(intent.startswith(names.MYTH_PREFIX) for intent in intents)
    assert {names.DELETE_CONVERSATION_ACTION, names.HANDOFF_ACTION} <= set(domain["actions"])
    assert names.LANGUAGE_ENTITY in domain["entities"]
    assert names.MYTH_SLOT in domain["slots"]


SHARED = {
    value: name
    for name, value in vars(names).items()
    if name.isupper() and isinstance(value, str) and len(value) > 1  # "/" is also an ordinary path separator
}


def _literals(path: Path) -> set[str]:
    """String constants in the code, docstrings excluded (they may mention a name to explain it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    }


# Event types are also dictionary keys and step keys ("user", "bot", "action") in Rasa's YAML formats,
# which is a different thing that happens to be spelt the same; "language", "myth" and "faq" likewise
# appear as YAML keys and folder names.
ORDINARY_WORDS = {"user", "bot", "action", "language", "myth", "faq"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_shared_names_are_spelt_only_in_names_py(path):
    if path.name == "names.py":
        return
    relative = str(path.relative_to(ROOT))
    spelt = {value for value in _literals(path) & set(SHARED) if value not in ORDINARY_WORDS}
    assert spelt == set(), f"{relative} spells {sorted(spelt)}: import them from prevent_assistant.names"


def test_names_py_loads_without_rasa():
    """The action server imports it; loading Rasa there would cost seconds and memory in every worker."""
    code = "import sys, prevent_assistant.names; print(any(m.split('.')[0] == 'rasa' for m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert loaded.stdout.strip() == "False"
