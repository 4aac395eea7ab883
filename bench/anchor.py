"""The anchor: a stock `rasa init` bot, trained and served on the same machine in the same run.

On a shared machine a latency figure alone says little; a ratio to an untuned default Rasa bot, measured
minutes apart under the same load, says whether this assistant is faster than Rasa out of the box. The bot
is Rasa's own starter project (the folder `rasa init` copies, from the installed Rasa), trained with its
own config.yml by the same `rasa train --force` as this assistant, and served by `rasa run` with its own
endpoints.yml and credentials.yml: in-memory tracker and lock stores, the REST channel, no action server
(it has no custom actions). The load generator sends it the same scripted messages; its replies are timed,
not checked, since it knows nothing of Prevent.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import rasa.cli

from bench import training
from prevent_assistant.cli.content import rasa_command
from prevent_assistant.processes import ServerProcesses
from prevent_assistant.serve import Stack
from prevent_assistant.settings import rasa_environment

KEY = "S"
TITLE = "stock `rasa init` bot: its own config, in-memory tracker and lock stores, no action server"
STARTER_PROJECT = Path(rasa.cli.__file__).resolve().parent / "initial_project"


def scaffold(work_dir: Path) -> Path:
    """What `rasa init --no-prompt` writes, without the training it then starts (timed separately here)."""
    project = work_dir / "stock-bot"
    shutil.copytree(STARTER_PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
    return project


def train(work_dir: Path, log_file: Path) -> dict[str, Any]:
    """Scaffold and train the stock bot; the same figures as this assistant's training."""
    project = scaffold(work_dir)
    return {"project": str(project), **training.train(project, project / "models", log_file)}


@contextmanager
def serving(model: Path, port: int, log_dir: Path) -> Iterator[Stack]:
    """`rasa run` on the stock bot, one Sanic worker, as `rasa init` then `rasa run` would serve it.
    `model` is the one `train` made, inside the bot's project folder (`<project>/models/`)."""
    project = model.parent.parent
    url = f"http://127.0.0.1:{port}"
    processes = ServerProcesses(cwd=project, log_dir=log_dir)
    command = rasa_command(
        "run", "--model", str(model), "--port", str(port), "--interface", "127.0.0.1",
        "--credentials", "credentials.yml", "--endpoints", "endpoints.yml",
    )  # fmt: skip
    try:
        processes.start("rasa", command, f"{url}/", {**rasa_environment(), "SANIC_WORKERS": "1"})
        yield Stack(rasa_url=url, actions_url="", rasa_urls=(url,), processes=processes)
    finally:
        processes.stop_all()
