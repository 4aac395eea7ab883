"""Memory, CPU time and children of a process, read from /proc (Linux), so no psutil is needed.

Resident memory is reported three ways because each answers a different question:
* `rss_mb` (VmRSS): what the process holds now, counting pages it shares with others in full;
* `peak_rss_mb` (VmHWM): the most it ever held, which is what a container memory limit must allow;
* `pss_mb` (Pss from smaps_rollup): shared pages divided among the processes sharing them, so forked
  Sanic workers, which share the parent's pages until they write to them, can be added up honestly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _pss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


def memory(pid: int) -> dict[str, float | None]:
    return {
        "rss_mb": _mb(_status_kb(pid, "VmRSS")),
        "peak_rss_mb": _mb(_status_kb(pid, "VmHWM")),
        "pss_mb": _mb(_pss_kb(pid)),
    }


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time the process has used so far (fields 14 and 15 of /proc/<pid>/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name, in brackets, may contain spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    """Direct children of `pid` (all its threads' children)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(set(found))


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def snapshot(pid: int) -> dict[str, Any]:
    """Memory and CPU time of one process, with its pid."""
    return {"pid": pid, **memory(pid), "cpu_seconds": cpu_seconds(pid)}


def cpu_seconds_of_command(name: str) -> float:
    """CPU time of every process whose command is `name` (e.g. all PostgreSQL backends), machine-wide.

    Processes that started or ended between two readings make the difference approximate; it is used only
    to show roughly how much of the two cores the database took during a run.
    """
    total = 0.0
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == name:
                total += cpu_seconds(int(comm.parent.name)) or 0.0
        except (OSError, ValueError):
            continue
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs have spent busy since boot (/proc/stat: everything but idle and iowait).

    The difference over a run, less our own processes' CPU time, is what other work on the machine took
    meanwhile: the benchmark runs on a shared machine and says how much it was disturbed.
    """
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
