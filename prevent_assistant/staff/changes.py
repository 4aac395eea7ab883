"""Four-eyes changes to the assistant's content: propose -> approve or reject -> apply -> (revert).

Staff who are not software engineers change answers, clips and (through the review inbox) training
examples in the console. Nothing they propose takes effect until a second person approves it: a change is
checked with the house rules `validate` uses (an invalid one is refused and nothing is stored), kept as
pending with the value it replaces (`previous`), and written to the project's YAML files only on approval
by another editor or an admin (settings.yml `console.four_eyes: false` lets a one-person team approve
their own). The written project is validated in full; if that fails the files are put back as they were.
In a git repository each approved change is then a commit authored by the person who wrote it (see
project_git); otherwise the content_changes table is the history. A revert is a new change restoring
`previous`, and needs approval like any other.

The kinds of content (`change_kinds.KINDS`) know their files; this module only runs the workflow, so the
console pages and any command-line tool share one set of rules.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prevent_assistant.db import changes as store
from prevent_assistant.db.changes import Change
from prevent_assistant.paths import ProjectPaths
from prevent_assistant.staff import project_git
from prevent_assistant.staff.change_kinds import KINDS, ContentKind, UnknownTarget, normalise_text
from prevent_assistant.staff.validation import validate

LOCK_FILE = "console-changes.lock"
# One approval at a time per process (threads) and per project (the lock file, for several processes).
_PROCESS_LOCK = threading.Lock()


@dataclass(frozen=True)
class Person:
    """The staff member acting: their account's id and name."""

    id: int
    name: str


@dataclass
class ChangeRefused(Exception):
    """Why a change cannot be made. `reason` is a key the console words (content/console-answers.yml);
    `status` the HTTP status that fits; `messages` the rule messages for an invalid one."""

    reason: str
    status: int = 409
    messages: list[str] = field(default_factory=list)
    change_id: int | None = None

    def __str__(self) -> str:
        return self.reason


def kind_of(name: str) -> ContentKind:
    kind = KINDS.get(name)
    if kind is None:
        raise ChangeRefused("unknown_kind", 404)
    return kind


def cleaned(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as it will be stored and written: text as the files hold it."""
    return {key: normalise_text(value) if isinstance(value, str) else value for key, value in payload.items()}


def current_value(root: Path, kind: str, target: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return kind_of(kind).current(root, target, int(payload.get("variation") or 1))
    except (UnknownTarget, ValueError):
        raise ChangeRefused("unknown_target", 404) from None


def propose(
    root: Path,
    kind: str,
    target: str,
    payload: Mapping[str, Any],
    author: Person,
    summary: str,
    reverts: int | None = None,
    url: str | None = None,
) -> Change:
    """Store a pending change after checking it; refused (nothing stored) if it breaks a rule, changes
    nothing, or another change to the same item is already waiting."""
    payload = cleaned(payload)
    previous = current_value(root, kind, target, payload)
    content = kind_of(kind)
    if content.as_text(payload) == content.as_text(previous):
        raise ChangeRefused("unchanged", 400)
    messages = content.problems(root, target, payload)
    if messages:
        raise ChangeRefused("invalid", 400, messages)
    waiting = store.pending_for(kind, target, url=url)
    if waiting is not None:
        raise ChangeRefused("already_pending", 409, change_id=waiting.id)
    return store.add_change(kind, target, summary, payload, previous, author.id, reverts_id=reverts, url=url)


def may_review(change: Change, reviewer: Person, four_eyes: bool) -> bool:
    """Anyone but the author may approve (the author too when four-eyes is off)."""
    return not four_eyes or change.author_id != reviewer.id


def approve(
    root: Path, change_id: int, reviewer: Person, four_eyes: bool = True, url: str | None = None
) -> Change:
    """Apply a pending change and record the approval. Refused if the reviewer wrote it (four-eyes), if
    it is no longer pending, if the item changed since it was proposed, or if the project would then
    fail `validate` (the files are put back); nothing is recorded then."""
    with project_lock(root):
        change = _get(change_id, url)
        if change.status != "pending":
            raise ChangeRefused("not_pending", 409)
        if not may_review(change, reviewer, four_eyes):
            raise ChangeRefused("own_change", 403)
        if current_value(root, change.kind, change.target, change.payload) != change.previous:
            raise ChangeRefused("stale", 409)
        commit = _apply(root, change, reviewer)
        if not store.record_review(change.id, "approved", reviewer.id, commit, url=url):
            raise ChangeRefused("not_pending", 409)
        if change.reverts_id is not None:
            store.mark_reverted(change.reverts_id, url=url)
    return _get(change_id, url)


def reject(change_id: int, reviewer: Person, url: str | None = None) -> Change:
    """Turn a pending change down (its author may withdraw their own). Nothing is written."""
    change = _get(change_id, url)
    if change.status != "pending" or not store.record_review(change.id, "rejected", reviewer.id, url=url):
        raise ChangeRefused("not_pending", 409)
    return _get(change_id, url)


def revert(root: Path, change_id: int, author: Person, summary: str, url: str | None = None) -> Change:
    """Propose a change that puts back what an approved change replaced; it needs approval too."""
    original = _get(change_id, url)
    if original.status != "approved" or original.previous is None:
        raise ChangeRefused("cannot_revert", 409)
    return propose(
        root, original.kind, original.target, original.previous, author, summary, reverts=original.id, url=url
    )


# --- Applying ----------------------------------------------------------------------------------------
def _apply(root: Path, change: Change, reviewer: Person) -> str | None:
    """Write the change, validate the whole project, and commit it in git; on any failure put every file
    back as it was and refuse. Returns the commit id (None when the project is not a git repository)."""
    before = _snapshot(root)
    try:
        files = kind_of(change.kind).write(root, change.target, change.payload)
        problems = validate(root)
        if problems:
            raise ChangeRefused("breaks_project", 409, [str(problem) for problem in problems])
        if not project_git.is_repository(root):
            return None
        message = (
            f"{change.summary}\n\nChange {change.id} in the console, written by {change.author_name} and "
            f"approved by {reviewer.name}.\n\nApproved-by: {project_git.staff_identity(reviewer.name)}\n"
        )
        return project_git.commit(root, files, message, change.author_name)
    except project_git.GitError:
        _restore(root, before)
        raise ChangeRefused("commit_failed", 500) from None
    except BaseException:
        _restore(root, before)
        raise


def _snapshot(root: Path) -> dict[Path, bytes]:
    """Every YAML file a change may write (the conversation tests too), as it is now."""
    paths = ProjectPaths(root)
    files = [
        paths.domain,
        paths.test_stories,
        *paths.data_dir.rglob("*.yml"),
        *paths.data_dir.rglob("*.yaml"),
    ]
    return {path: path.read_bytes() for path in files if path.is_file()}


def _restore(root: Path, before: dict[Path, bytes]) -> None:
    for path, content in before.items():
        if not path.is_file() or path.read_bytes() != content:
            path.write_bytes(content)


@contextmanager
def project_lock(root: Path) -> Iterator[None]:
    """Held while a change is applied, so two approvals never write the same files at once."""
    folder = ProjectPaths(root).var_dir
    folder.mkdir(parents=True, exist_ok=True)
    with _PROCESS_LOCK, open(folder / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _get(change_id: int, url: str | None) -> Change:
    try:
        return store.get_change(change_id, url=url)
    except store.UnknownChange:
        raise ChangeRefused("unknown_change", 404) from None
