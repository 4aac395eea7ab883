"""What the figures were measured on: the machine, the software, the commit, and how busy the machine was.

Latency and throughput only mean something next to the number of cores and the load from other work, so
every result file carries them. The 1-minute load average is read at the start and the end of a run: the
machine is shared, and a run taken while something else was busy says so in its own output.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("rasa", "rasa-sdk", "sanic", "sqlalchemy", "tensorflow", "aiohttp", "scikit-learn", "py-spy")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_total_gb() -> float:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def cgroup_cpu_limit() -> float | None:
    """CPUs allowed by a cgroup v2 quota (`cpu.max`), or None when unlimited; containers often set one."""
    parts = _read("/sys/fs/cgroup/cpu.max").split()
    if len(parts) == 2 and parts[0] != "max":
        return round(int(parts[0]) / int(parts[1]), 2)
    return None


def os_name() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip().strip('"')
    return platform.platform()


def load_average() -> float:
    """The 1-minute load average: above the core count, other work was competing for the CPUs."""
    return round(os.getloadavg()[0], 2)


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def git_commit(root: Path) -> dict[str, Any]:
    """HEAD and whether the work tree had changes (other people edit it at the same time)."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    return {"commit": git("rev-parse", "HEAD"), "dirty_files": len(git("status", "--porcelain").splitlines())}


def describe(root: Path) -> dict[str, Any]:
    """Everything about the machine and software that the figures depend on."""
    return {
        "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cgroup_cpu_limit": cgroup_cpu_limit(),
        "cpu_model": cpu_model(),
        "memory_gb": memory_total_gb(),
        "os": os_name(),
        "kernel": platform.release(),
        "python_executable": sys.executable,
        "versions": versions(),
        "git": git_commit(root),
    }
