"""The staff-editable wording in content/: one home for where it lives and how it is read.

Each file is read once per process (it changes only with a release, and it sits on the reply path); the
cache is keyed by name so tests can point a fresh process at edited copies.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from prevent_assistant.paths import PROJECT

CONTENT_DIR = PROJECT.content_dir


@cache
def load_content(name: str) -> dict[str, Any]:
    """content/<name>.yml as a mapping (an empty file is an empty mapping)."""
    path = PROJECT.content(name)
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
