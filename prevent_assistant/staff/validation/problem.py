"""The one thing every check reports: a `Problem`, printed as one line for staff."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing to fix, printed as one line: where it is, what is wrong and what to do."""

    file: str  # relative to the project root, e.g. "data/nlu/myths.yml"; "" when no file could be named
    line: int | None  # 1-based
    message: str

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.file and self.line is not None else self.file
        return f"{place}: {self.message}" if place else self.message
