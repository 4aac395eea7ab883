"""Runtime settings: the database URL from the environment, the rest from settings.yml.

One URL serves both Rasa's tracker store and the project's own tables, so a deployment changes one
variable to move from the embedded SQLite default to PostgreSQL.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from prevent_assistant.paths import PROJECT, ProjectPaths
from prevent_assistant.paths import PROJECT_ROOT as PROJECT_ROOT  # re-exported for older imports

SETTINGS_FILE = PROJECT.settings
DATABASE_URL_VARIABLE = "DATABASE_URL"
# Several Rasa instances (or Sanic workers) share conversation locks, and rate-limit counters, in the Redis
# named here; unset, each process keeps its own in memory (one process, the embedded default).
REDIS_URL_VARIABLE = "REDIS_URL"
# Where a Rasa server finds the action server when its endpoints file says `${ACTION_SERVER_URL}`.
ACTION_SERVER_URL_VARIABLE = "ACTION_SERVER_URL"
# The token that guards Rasa's HTTP API (model deployment). From the environment in production; `make run`
# writes a random one here for local use when none is set.
API_TOKEN_VARIABLE = "RASA_API_TOKEN"
API_TOKEN_FILE = PROJECT.api_token_file
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT.database_file}"

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def rasa_environment() -> dict[str, str]:
    """The environment for any Rasa process the project starts. Telemetry off always, not only under
    `make`: otherwise a crashing server sends its error report to Rasa's Sentry, a third party."""
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def database_url(project: Path | None = None) -> str:
    """DATABASE_URL if set, else the SQLite file under the project's var/ (its folder created on first use).

    `project` is the folder a staff command was given with --project; None is the installed project."""
    default = f"sqlite:///{ProjectPaths(project).database_file}" if project else DEFAULT_DATABASE_URL
    url = os.environ.get(DATABASE_URL_VARIABLE, "").strip() or default
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url


def parse_duration(text: str) -> timedelta:
    """'30d', '12h', '15m', '2w' -> timedelta; anything else is a ValueError saying what to write.
    Seconds ('30s') exist for tests of the console's timeouts."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a duration; use a number and s, m, h, d or w, such as 15m or 30d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@lru_cache(maxsize=8)
def _read(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _file(project: Path | None = None) -> dict[str, Any]:
    """settings.yml of `project` (None: the installed project), read once per process and file."""
    return _read(ProjectPaths(project).settings if project else SETTINGS_FILE)


def retention(project: Path | None = None) -> timedelta:
    return parse_duration(_file(project).get("retention", "30d"))


def describe_duration(period: timedelta) -> str:
    """'30 days', '2 weeks', '12 hours': how the assistant and the privacy notice state the retention period,
    so what people are told always follows settings.yml."""
    hours = int(period.total_seconds() // 3600)
    for unit, size in (("week", 24 * 7), ("day", 24), ("hour", 1)):
        if hours % size == 0 and hours >= size:
            count = hours // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{hours} hours"


def organisation(project: Path | None = None) -> str:
    """Who runs this assistant, as people are told when they ask."""
    return str(_file(project).get("organisation") or "the organisation that runs this website")


def handoff_transcript_turns(project: Path | None = None) -> int:
    return int(_file(project).get("handoff_transcript_turns", 12))


def holdout_macro_f1_threshold(project: Path | None = None) -> float:
    return float(_file(project).get("holdout_macro_f1_threshold", 0.95))
