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

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = PROJECT_ROOT / "settings.yml"
DATABASE_URL_VARIABLE = "DATABASE_URL"
# Several Rasa instances (or Sanic workers) share conversation locks, and rate-limit counters, in the Redis
# named here; unset, each process keeps its own in memory (one process, the embedded default).
REDIS_URL_VARIABLE = "REDIS_URL"
# Where a Rasa server finds the action server when its endpoints file says `${ACTION_SERVER_URL}`.
ACTION_SERVER_URL_VARIABLE = "ACTION_SERVER_URL"
# The token that guards Rasa's HTTP API (model deployment). From the environment in production; `make run`
# writes a random one here for local use when none is set.
API_TOKEN_VARIABLE = "RASA_API_TOKEN"
API_TOKEN_FILE = PROJECT_ROOT / "var" / "api-token"
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'prevent.db'}"

_DURATION = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def rasa_environment() -> dict[str, str]:
    """The environment for any Rasa process the project starts. Telemetry off always, not only under
    `make`: otherwise a crashing server sends its error report to Rasa's Sentry, a third party."""
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def database_url() -> str:
    """DATABASE_URL if set, else the SQLite file under var/ (created on first use)."""
    url = os.environ.get(DATABASE_URL_VARIABLE, "").strip() or DEFAULT_DATABASE_URL
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url


def parse_duration(text: str) -> timedelta:
    """'30d', '12h', '2w' -> timedelta; anything else is a ValueError with a readable message."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a duration; use a number and h, d or w, such as 30d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@lru_cache(maxsize=1)
def _file() -> dict[str, Any]:
    return yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8")) or {}


def retention() -> timedelta:
    return parse_duration(_file().get("retention", "30d"))


def describe_duration(period: timedelta) -> str:
    """'30 days', '2 weeks', '12 hours': how the assistant and the privacy notice state the retention period,
    so what people are told always follows settings.yml."""
    hours = int(period.total_seconds() // 3600)
    for unit, size in (("week", 24 * 7), ("day", 24), ("hour", 1)):
        if hours % size == 0 and hours >= size:
            count = hours // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{hours} hours"


def organisation() -> str:
    """Who runs this assistant, as people are told when they ask."""
    return str(_file().get("organisation") or "the organisation that runs this website")


def handoff_transcript_turns() -> int:
    return int(_file().get("handoff_transcript_turns", 12))


def holdout_macro_f1_threshold() -> float:
    return float(_file().get("holdout_macro_f1_threshold", 0.95))
