"""Deploy a passed job's model into the running Rasa server, or roll back to the one before, and record it.

The swap itself is `prevent-assistant deploy`'s (staff/deploy.py: Rasa's PUT /model with the API token,
no restart, no dropped message). The server is `console.rasa_url` (or RASA_URL, which `make run` sets); the
token is RASA_API_TOKEN, else the project's var/api-token that `make run` writes. Only a swap the server
confirmed is recorded; then models/prevent.tar.gz becomes a copy of the live model, so that `make run`
starts with what was deployed. The first deployment also keeps the model the server ran until then
(models/prevent.tar.gz, copied to a file of its own and recorded first), so there is always something to
roll back to.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import requests

from prevent_assistant.db import training
from prevent_assistant.db.training import DeploymentRow
from prevent_assistant.paths import MODEL_NAME, ProjectPaths
from prevent_assistant.staff.deploy import DeployError, api_token, deploy
from prevent_assistant.staff.jobs import rasa_url


class DeployRefused(Exception):
    """Not deployed: `reason` is a key of content/console-models.yml `refused:`; `detail` the server's or
    the token's problem in plain words (from staff/deploy.py), when there is one."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Live:
    """What runs now (None before the first deployment from the console) and what Roll back would restore."""

    current: DeploymentRow | None
    previous: DeploymentRow | None
    history: list[DeploymentRow]


def live(url: str | None = None) -> Live:
    history = training.deployments(url)
    stack = training.live_stack(history)
    return Live(stack[-1] if stack else None, stack[-2] if len(stack) > 1 else None, list(reversed(history)))


def protected_models(url: str | None = None) -> set[str]:
    """Models (relative paths) that must never be deleted: the live one and every one a roll back may
    return to."""
    return {row.model for row in training.live_stack(training.deployments(url))}


def deploy_job(project: Path, job_id: int, account_id: int, url: str | None = None) -> int:
    """Put job `job_id`'s model live; returns the new deployment's id (DeployRefused: nothing recorded)."""
    job = training.get_job(job_id, url)
    if job is None or job.status != "passed" or not job.model:
        raise DeployRefused("not_passed")
    files = ProjectPaths(project)
    if not (files.root / job.model).exists():
        raise DeployRefused("model_missing")
    current = live(url).current
    if current is not None and current.model == job.model:
        raise DeployRefused("already_live")
    first = _keep_first_model(files) if current is None else None
    _swap(files, job.model)
    return training.record_deployment(account_id, job.model, job_id=job_id, first_model=first, url=url)


def roll_back(project: Path, account_id: int, url: str | None = None) -> int:
    """Put the previous deployment's model back; returns the new deployment's id."""
    state = live(url)
    if state.current is None or state.previous is None:
        raise DeployRefused("nothing_to_roll_back")
    files = ProjectPaths(project)
    if not (files.root / state.previous.model).exists():
        raise DeployRefused("model_missing")
    _swap(files, state.previous.model)
    return training.record_deployment(
        account_id, state.previous.model, rolled_back_from=state.current.id, url=url
    )


def _swap(files: ProjectPaths, model: str) -> None:
    """Load `model` into the server; then make models/prevent.tar.gz a copy of it (atomically)."""
    path = files.root / model
    try:
        deploy(path, rasa_url(files.root), api_token(files.api_token_file))
    except DeployError as error:
        raise DeployRefused("server", str(error)) from None
    except (requests.RequestException, ValueError, KeyError) as error:
        raise DeployRefused(
            "server", f"the assistant did not answer as expected ({type(error).__name__})"
        ) from None
    partial = files.models_dir / f".{MODEL_NAME}.tar.gz.partial"
    shutil.copyfile(path, partial)
    os.replace(partial, files.model)


def _keep_first_model(files: ProjectPaths) -> str | None:
    """A copy of models/prevent.tar.gz (what the server ran until now) under a name of its own, as
    models/prevent-<when it was made, UTC>.tar.gz; None if there is none."""
    if not files.model.exists():
        return None
    made = datetime.fromtimestamp(files.model.stat().st_mtime, timezone.utc)
    kept = files.models_dir / f"{MODEL_NAME}-{made:%Y%m%dT%H%M%SZ}.tar.gz"
    if not kept.exists():
        shutil.copyfile(files.model, kept)
    return str(kept.relative_to(files.root))
