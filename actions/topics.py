"""The clarifying question and its topic buttons, read from the staff-editable content file."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

TOPICS_FILE = Path(__file__).resolve().parent.parent / "content" / "topics.yml"


@dataclass(frozen=True)
class Topics:
    """The question to ask, intent -> button label in the order staff listed them, and how many to offer."""

    prompt: str
    labels: dict[str, str]
    max_suggestions: int


@lru_cache(maxsize=1)
def load_topics(path: Path = TOPICS_FILE) -> Topics:
    """Read once per process: the file changes only with a release, and this sits on the reply path."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Topics(
        prompt=str(data["prompt"]),
        labels=dict(data["topics"]),
        max_suggestions=int(data.get("max_suggestions", 3)),
    )
