"""All database access goes through prevent_assistant/db/: no other module may import SQLAlchemy.

One package that builds SQL is one place to check for injection, for the SQLite/PostgreSQL differences
and for error messages that quote SQL or people's words. Walks the import statements of every module of
the assistant (prevent_assistant/ and actions/), so a new direct import fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

DB_PACKAGE = ROOT / "prevent_assistant" / "db"
MODULES = sorted(
    path
    for folder in ("prevent_assistant", "actions")
    for path in (ROOT / folder).rglob("*.py")
    if DB_PACKAGE not in path.parents
)
# Each exception names the file and exactly the SQLAlchemy modules it may import, and why.
ALLOWED = {
    # Rasa's SQLTrackerStore subclass: Rasa builds the engine, session and table classes, so the subclass
    # works with SQLAlchemy objects Rasa hands it. Moving it under db/ would not remove that, and it is
    # named by its module path in endpoints.yml and deploy/endpoints.yml.
    "prevent_assistant/tracker_store.py": {
        "sqlalchemy",
        "sqlalchemy.engine",
        "sqlalchemy.exc",
        "sqlalchemy.orm",
    },
}


def sqlalchemy_imports(path: Path) -> set[str]:
    """Every SQLAlchemy module the file imports, at any depth (inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name == "sqlalchemy" or name.startswith("sqlalchemy.")}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_only_the_db_package_imports_sqlalchemy(path):
    relative = str(path.relative_to(ROOT))
    unexpected = sqlalchemy_imports(path) - ALLOWED.get(relative, set())
    assert unexpected == set(), (
        f"{relative} imports {sorted(unexpected)}: put the query in prevent_assistant/db/ and call it, "
        "and catch prevent_assistant.db.DatabaseError rather than SQLAlchemy's exceptions"
    )


@pytest.mark.parametrize("relative", sorted(ALLOWED))
def test_each_exception_is_still_needed(relative):
    """An exception that is no longer used must be removed, so the list never excuses a new import."""
    assert sqlalchemy_imports(ROOT / relative) == ALLOWED[relative]


def test_the_walk_finds_an_import_inside_a_function(tmp_path):
    """The check must see the late imports modules use to start quickly."""
    module = tmp_path / "late.py"
    module.write_text("def f():\n    import sqlalchemy.orm as orm\n    from sqlalchemy import text\n")
    assert sqlalchemy_imports(module) == {"sqlalchemy.orm", "sqlalchemy"}
