"""Committing an approved change when the project is a git repository, so the history staff see in the
console is also the history developers see in git.

Each change is one commit of exactly the files it wrote (`git commit --only`, so anything else staged or
edited in the working copy is left alone), authored by the staff member who wrote the change and committed
by the console (or the identity in GIT_COMMITTER_NAME / GIT_COMMITTER_EMAIL). Nothing is ever pushed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CONSOLE_COMMITTER = ("Prevent assistant console", "console@console.invalid")
TIMEOUT_SECONDS = 60


class GitError(RuntimeError):
    """git refused the commit (a hook, a broken repository); the message is git's first line."""


def staff_identity(name: str) -> str:
    """The author line for a staff account: they have no e-mail address in the console."""
    return f"{name} <{name}@console.invalid>"


def is_repository(root: Path) -> bool:
    if shutil.which("git") is None:
        return False
    found = _git(root, "rev-parse", "--is-inside-work-tree", check=False)
    return found.returncode == 0 and found.stdout.strip() == "true"


def commit(root: Path, files: list[str], message: str, author: str) -> str:
    """Commit `files` (relative to `root`) as `author`'s work; returns the new commit's id."""
    _git(root, "add", "--", *files)
    _git(
        root, "commit", "--quiet", "--only", f"--author={staff_identity(author)}", "-m", message, "--", *files
    )
    return _git(root, "rev-parse", "HEAD").stdout.strip()


def _git(root: Path, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "GIT_COMMITTER_NAME": os.environ.get("GIT_COMMITTER_NAME") or CONSOLE_COMMITTER[0],
        "GIT_COMMITTER_EMAIL": os.environ.get("GIT_COMMITTER_EMAIL") or CONSOLE_COMMITTER[1],
        "GIT_TERMINAL_PROMPT": "0",
    }
    result = subprocess.run(
        ["git", "-C", str(root), *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    if check and result.returncode != 0:
        first = (result.stderr or result.stdout).strip().splitlines()[:1]
        raise GitError(first[0] if first else f"git {arguments[0]} failed")
    return result
