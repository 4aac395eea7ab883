"""The console's settings: settings.yml's `console:` section, optionally overridden by a file.

The file named by the CONSOLE_SETTINGS environment variable may hold its own `console:` section; its keys
replace settings.yml's. That is how a test runs a real console process with timeouts of seconds, and how an
operator can try a setting without editing the shared file.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from prevent_assistant.db.retention import ConsoleRetention
from prevent_assistant.paths import ProjectPaths
from prevent_assistant.settings import SETTINGS_FILE, parse_duration

CONSOLE_SETTINGS_VARIABLE = "CONSOLE_SETTINGS"
DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 5006,
    "idle_timeout": "15m",
    "absolute_timeout": "8h",
    "max_failures_per_name": 5,
    "max_failures_per_address": 20,
    "throttle_window": "15m",
    "secure_cookies": False,
    "audit_retention": "365d",
    "queue_refresh": "30s",
    "four_eyes": True,
    "rasa_url": "http://127.0.0.1:5005",
    "models_kept": 5,
    "job_stalled_after": "5m",
    "job_timeout": "2h",
    "job_refresh": "5s",
}


def _section(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return dict(loaded.get("console") or {})


def console_settings(project: Path | None = None) -> dict[str, Any]:
    """Read afresh on each call (cheap; called once per process start or command). `project`: the folder
    a command was given with --project (None: the installed project)."""
    found = {**DEFAULTS, **_section(ProjectPaths(project).settings if project else SETTINGS_FILE)}
    override = os.environ.get(CONSOLE_SETTINGS_VARIABLE, "").strip()
    if override:
        found.update(_section(Path(override)))
    return found


def idle_timeout(project: Path | None = None) -> timedelta:
    return parse_duration(console_settings(project)["idle_timeout"])


def absolute_timeout(project: Path | None = None) -> timedelta:
    return parse_duration(console_settings(project)["absolute_timeout"])


def throttle_window(project: Path | None = None) -> timedelta:
    return parse_duration(console_settings(project)["throttle_window"])


def retention(project: Path | None = None) -> ConsoleRetention:
    """What `purge` deletes for the console: audit entries past their period, sessions that have ended."""
    return ConsoleRetention(audit_retention(project), idle_timeout(project), absolute_timeout(project))


def audit_retention(project: Path | None = None) -> timedelta:
    return parse_duration(console_settings(project)["audit_retention"])
