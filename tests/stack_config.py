"""Copies of credentials.yml and endpoints.yml with changes, for test stacks that need other settings.

running_stack takes `credentials=` and `endpoints=` files; these write edited copies of the project's
own, so a stack with, say, tight rate limits differs from `make run` in that one respect only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from conftest import ROOT


def credentials_with(directory: Path, rate_limit: dict[str, Any]) -> Path:
    """credentials.yml with every channel's `rate_limit` replaced, written in `directory`."""
    channels = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    for settings in channels.values():
        settings["rate_limit"] = dict(rate_limit)
    return _write(directory / "credentials.yml", channels)


def endpoints_with(directory: Path, extra: dict[str, Any]) -> Path:
    """endpoints.yml with the sections in `extra` added or replaced, written in `directory`."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    return _write(directory / "endpoints.yml", {**endpoints, **extra})


def _write(path: Path, content: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content), encoding="utf-8")
    return path
