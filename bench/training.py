"""Time a full training run, and keep its model for the rest of the benchmark.

It runs the command `prevent-assistant train` runs (`rasa train` with the project's data and the same
environment), with `--force` so that Rasa's cache cannot skip any component, into a temporary folder so
that models/ is left alone. Every later figure (latency, memory, NLU quality) is then measured on this very
model, so the run describes one model end to end. Validation, which `prevent-assistant train` runs first,
is not included: it is not training and takes a few seconds.
"""

from __future__ import annotations

import resource
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from bench.procfs import machine_busy_seconds
from prevent_assistant.cli.content import rasa_command
from prevent_assistant.settings import rasa_environment

MODEL_NAME = "prevent"


def train(project_root: Path, out_dir: Path, log_file: Path, config: Path | None = None) -> dict[str, Any]:
    """Train into `out_dir`; wall-clock seconds, model size and the training process's peak memory.

    `config` replaces config.yml, to measure a pipeline or policy change without editing the project.
    """
    command = rasa_command("train", "--force", "--fixed-model-name", MODEL_NAME, "--out", str(out_dir))
    if config is not None:
        command += ["--config", str(config)]
    log_file.parent.mkdir(parents=True, exist_ok=True)
    machine_before, own_before = machine_busy_seconds(), _children_cpu_seconds()
    with log_file.open("wb") as log:
        started = time.perf_counter()
        code = subprocess.call(
            command, cwd=project_root, env=rasa_environment(), stdout=log, stderr=subprocess.STDOUT
        )
        seconds = time.perf_counter() - started
    own = _children_cpu_seconds() - own_before
    other = max(0.0, machine_busy_seconds() - machine_before - own)
    if code != 0:
        raise RuntimeError(f"training failed with status {code}; see {log_file}")
    model = out_dir / f"{MODEL_NAME}.tar.gz"
    return {
        "command": " ".join(["rasa", *command[1:]]),
        "config": str(config or project_root / "config.yml"),
        "seconds": round(seconds, 1),
        "model_path": str(model),
        "model_size_mb": round(model.stat().st_size / 1024 / 1024, 1),
        # ru_maxrss of waited-for children, in kB on Linux: the training process is the largest of them.
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        # Training time depends on having both cores: what it used, and what other work took meanwhile.
        "cpu_cores": round(own / seconds, 2),
        "other_work_cores": round(other / seconds, 2),
    }


def existing(model: Path) -> dict[str, Any]:
    """The same fields for a model given on the command line (no training time: it was not trained here)."""
    return {
        "command": None,
        "config": None,
        "seconds": None,
        "model_path": str(model),
        "model_size_mb": round(model.stat().st_size / 1024 / 1024, 1),
        "peak_rss_mb": None,
        "cpu_cores": None,
        "other_work_cores": None,
    }


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def without_policies(config: Path, names: tuple[str, ...], work_dir: Path) -> Path:
    """A copy of `config` without the named policies, to measure what they cost (e.g. TEDPolicy)."""
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    policies = settings.get("policies") or []
    missing = set(names) - {policy.get("name") for policy in policies}
    if missing:
        raise ValueError(f"{config} has no policy named {', '.join(sorted(missing))}")
    settings["policies"] = [policy for policy in policies if policy.get("name") not in names]
    copy = work_dir / f"config-without-{'-'.join(names)}.yml"
    copy.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return copy
