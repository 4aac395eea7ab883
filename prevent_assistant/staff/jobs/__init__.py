"""Training jobs and deployments started from the console (docs/console.md, "Training and deploying a new
model"): `runner` does a job's steps in a process of its own, `deployments` swaps models into the running
Rasa server and rolls them back. This module holds what both read: the settings and the model files' names.

Why a process per job, started by the console (`prevent-assistant jobs run ID`), rather than a thread in
the console: training and testing load TensorFlow and take a minute or more of CPU, which inside the console
would slow every page and could take the console down with it; a process of its own cannot block the
console's event loop, survives a slow step, and writes its step and log to the job's row, where any console
instance reads them.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from prevent_assistant.console.config import console_settings
from prevent_assistant.db.models import utc_now
from prevent_assistant.paths import MODEL_NAME
from prevent_assistant.settings import parse_duration

# The steps of a job, in order (TrainingJob.step; their names for people are in content/console-models.yml).
STEPS = ("validate", "train", "conversation_tests", "holdout_gate")
# `make run` tells the console where the Rasa server it started listens (serve.py); else console.rasa_url.
RASA_URL_VARIABLE = "RASA_URL"
# A model a job made: models/prevent-20261206T190512Z.tar.gz (UTC). Only these are ever deleted.
JOB_MODEL = re.compile(rf"^{re.escape(MODEL_NAME)}-\d{{8}}T\d{{6}}Z\.tar\.gz$")


def setting(project: Path, key: str) -> Any:
    """A key of settings.yml's `console:` section (or the CONSOLE_SETTINGS override), with its default
    (console.config.DEFAULTS)."""
    return console_settings(project)[key]


def period(project: Path, key: str) -> timedelta:
    return parse_duration(str(setting(project, key)))


def rasa_url(project: Path) -> str:
    """The running Rasa server that Deploy and Roll back swap models in."""
    return (os.environ.get(RASA_URL_VARIABLE, "").strip() or str(setting(project, "rasa_url"))).rstrip("/")


def new_model_name() -> str:
    """The file name (without .tar.gz) of a new job's model, stamped with the time in UTC."""
    return f"{MODEL_NAME}-{utc_now():%Y%m%dT%H%M%SZ}"
