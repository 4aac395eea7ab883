"""Shared fixtures: the trained model loaded in-process, and a real Rasa + action server stack; and the
markers (stack, postgres, redis, browser, model, training) each test gets from what it uses, so that
`make test-fast` can leave out what needs servers without anyone remembering to mark a new test."""

from __future__ import annotations

import asyncio
import dis
import inspect
import logging
import os
import shutil
import socket
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType

import pytest
import yaml

from prevent_assistant.processes import ServerProcesses
from prevent_assistant.serve import Stack, running_stack

ROOT = Path(__file__).resolve().parent.parent
MODEL = Path(os.environ.get("PREVENT_MODEL", ROOT / "models" / "prevent.tar.gz"))
MYTHS = ["faith", "spying", "criminalisation", "ideology", "views"]


def load_yaml(relative: str) -> dict:
    return yaml.safe_load((ROOT / relative).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def domain() -> dict:
    return load_yaml("domain.yml")


def data_files() -> list[Path]:
    """Every training data file, wherever it sits under data/ (Rasa reads them all)."""
    return sorted(path for pattern in ("*.yml", "*.yaml") for path in (ROOT / "data").rglob(pattern))


def data_blocks(key: str) -> list[dict]:
    """The entries under `key` (nlu, rules, stories) of every data file."""
    return [
        block
        for path in data_files()
        for block in (yaml.safe_load(path.read_text("utf-8")) or {}).get(key, [])
    ]


@pytest.fixture(scope="session")
def responses(domain: dict) -> dict[str, list[dict]]:
    """Every response: the domain's, and the answers kept beside their examples in data/ (utter_faq/...)."""
    found = dict(domain["responses"])
    for path in data_files():
        found.update((yaml.safe_load(path.read_text("utf-8")) or {}).get("responses", {}))
    return found


def _require_model() -> Path:
    require_marker("model")
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does this first)")
    return MODEL


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model `make train` made (the tests' model, PREVENT_MODEL to use another)."""
    return _require_model()


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


LOG_DIR = ROOT / "test-artifacts" / "logs"


def start_stack(database: str, instances: int = 1, **kwargs):
    """Start a real stack on free ports against `database` (a context manager yielding a Stack), with
    `instances` Rasa servers."""
    require_marker("stack")
    ports = [free_port() for _ in range(instances)]
    return running_stack(
        _require_model(), ports if instances > 1 else ports[0], free_port(), log_dir=LOG_DIR,
        database=database, **kwargs,
    )  # fmt: skip


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """A real Rasa server and action server on free localhost ports, as `make run` starts them."""
    database = f"sqlite:///{tmp_path_factory.mktemp('db') / 'prevent.db'}"
    with start_stack(database) as running:
        yield running


# --- Databases -------------------------------------------------------------------------------------------
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def migrated(url: str) -> str:
    from prevent_assistant.db.migrate import upgrade

    upgrade(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A fresh, migrated SQLite database for one test."""
    return migrated(f"sqlite:///{tmp_path / 'prevent.db'}")


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, migrated database on the machine's PostgreSQL server, dropped afterwards."""
    import sqlalchemy as sa

    from prevent_assistant.db import engine_for

    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    name = f"prevent_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error.orig}"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must test against the real server; .ci/run starts it
        pytest.skip(message)
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield migrated(url)
    finally:
        engine_for(url).dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request, tmp_path_factory) -> Iterator[tuple[Stack, str]]:
    """A real stack and its database URL, once on each database, for one test module."""
    if request.param == "sqlite":
        database = migrated(f"sqlite:///{tmp_path_factory.mktemp('live') / 'prevent.db'}")
    else:
        database = request.getfixturevalue("postgres_url")
    with start_stack(database) as stack:
        yield stack, database


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> Iterator[str]:
    """Each test runs once on the embedded default and once on the production database, both empty."""
    if request.param == "sqlite":
        yield migrated(f"sqlite:///{tmp_path / 'prevent.db'}")
    else:
        with fresh_postgres_database() as url:
            yield url


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis (for lock stores and rate-limit counters shared between servers)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.exceptions.ConnectionError as error:
        message = f"Redis is not reachable at {REDIS_URL}: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must test against the real server; .ci/run starts it
        pytest.skip(message)
    return REDIS_URL


# --- A copy of the project, for commands that edit data or train -----------------------------------------
CLI = Path(sys.executable).parent / "prevent-assistant"
PROJECT_FILES = ["domain.yml", "config.yml", "credentials.yml", "endpoints.yml", "settings.yml"]
PROJECT_DIRS = ["data", "content", "nlp"]


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """The files staff edit, copied; the built spaCy pipeline linked, as `make install` left it."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, copy / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, copy / name)
    (copy / "tests").mkdir()
    for name in ("test_stories.yml", "nlu_holdout.yml"):
        shutil.copy(ROOT / "tests" / name, copy / "tests" / name)
    (copy / ".build").symlink_to(ROOT / ".build")
    return copy


# --- The browser --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's Chromium through Playwright, once per test module (tests/chromium.py)."""
    from chromium import launched

    with launched() as running:
        yield running


@pytest.fixture
def tab(browser) -> Iterator:
    """A console page in a browser context of its own: CSP errors collected, axe-core loadable."""
    from chromium import console_page

    page = console_page(browser)
    yield page
    page.context.close()


# --- Markers: what each test needs, found from what it uses ----------------------------------------------
# Registered in pyproject.toml; `make test-fast` leaves out every test with one. A test is marked from the
# fixtures it uses (item.fixturenames holds every fixture it needs, however indirectly) and from what its
# code and its fixtures' code name: a test that calls start_stack itself is a stack test too.
TIER_MARKERS = ("stack", "postgres", "redis", "browser", "model", "training")

# This file's fixtures, by what they need.
FIXTURE_MARKERS: dict[str, set[str]] = {
    "stack": {"stack", "model"},
    "live": {"stack", "model"},  # and PostgreSQL in its PostgreSQL case (below)
    "agent": {"model"},
    "postgres_url": {"postgres"},
    "redis_url": {"redis"},
    # A copy of the project is made to edit and retrain it (models/ itself is never retrained by a test).
    "project_copy": {"training"},
    "browser": {"browser"},
    "tab": {"browser"},
}
# A fixture parametrised over the two databases (`database`, `live`, ...): only its PostgreSQL case needs
# PostgreSQL, whatever its code names.
DATABASE_PARAMETERS = {"sqlite": set(), "postgresql": {"postgres"}}

# What needs something, however a test reaches it (directly or through helpers in tests/).
SOURCES: list[tuple[object, set[str]]] = [
    (running_stack, {"stack", "model"}),
    (ServerProcesses, {"stack"}),  # any other server the tests start (the console, say)
    (_require_model, {"model"}),
    (fresh_postgres_database, {"postgres"}),
]
TESTS = Path(__file__).resolve().parent


def _global_names(code: CodeType) -> Iterator[str]:
    """The global names a function's code (and the functions and lambdas inside it) loads."""
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
            yield instruction.argval
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _global_names(constant)


def needs_of(function: object, seen: set[int] | None = None) -> set[str]:
    """The markers a function defined in tests/ needs: from the sources, Playwright, and the functions of
    tests/ it names, followed to any depth (read from bytecode, so nothing has to be declared)."""
    function = inspect.unwrap(function) if callable(function) else function
    code = getattr(function, "__code__", None)
    seen = set() if seen is None else seen
    if code is None or id(function) in seen or not Path(code.co_filename).is_relative_to(TESTS):
        return set()
    seen.add(id(function))
    names: dict[str, object] = getattr(function, "__globals__", {})
    needs: set[str] = set()
    for name in _global_names(code):
        if name in names:
            needs |= _needs_of_value(names[name], seen)
    return needs


def _needs_of_value(value: object, seen: set[int]) -> set[str]:
    for source, markers in SOURCES:
        if value is source:
            return markers
    module = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
    if isinstance(module, str) and module.partition(".")[0] == "playwright":
        return {"browser"}
    return needs_of(value, seen) if callable(value) else set()


def markers_for(item: pytest.Item) -> set[str]:
    """Every tier marker `item` needs, from its fixtures, their parameters and its own code."""
    needs: set[str] = set()
    fixtures = getattr(item, "_fixtureinfo", None)
    definitions = fixtures.name2fixturedefs if fixtures else {}
    parameters = getattr(getattr(item, "callspec", None), "params", {})
    for name in getattr(item, "fixturenames", ()):
        if name in FIXTURE_MARKERS:
            fixture_needs = set(FIXTURE_MARKERS[name])
        else:
            fixture_needs = needs_of(definitions[name][-1].func) if definitions.get(name) else set()
        database = parameters.get(name)
        if isinstance(database, str) and database in DATABASE_PARAMETERS:
            fixture_needs = (fixture_needs - {"postgres"}) | DATABASE_PARAMETERS[database]
        needs |= fixture_needs
    return needs | needs_of(getattr(item, "function", None))


def pytest_collection_modifyitems(items: Iterable[pytest.Item]) -> None:
    for item in items:
        for marker in sorted(markers_for(item)):
            item.add_marker(marker)


_running: pytest.Item | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    global _running
    _running = item


def require_marker(name: str) -> None:
    """Fail the running test if it needs `name` but was not marked so: `-m "not name"` must never let in
    a test that starts servers or loads the model (a way of reaching them the markers above do not see)."""
    if _running is not None and _running.get_closest_marker(name) is None:
        pytest.fail(
            f"{_running.nodeid} needs `{name}` but is not marked so; "
            "add what it uses to FIXTURE_MARKERS or SOURCES in tests/conftest.py"
        )
