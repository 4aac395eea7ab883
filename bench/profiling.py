"""Sample the running servers with py-spy during a load run, and say where their CPU time goes.

py-spy reads the interpreter's stacks from outside the process, so the server runs unchanged, and with
`--nonblocking` it does not pause it to sample. Samples are saved in the collapsed-stack format
(`<ts>-profile-<process>.txt`), which speedscope (https://www.speedscope.app, "import") and flamegraph.pl
both open.

py-spy cannot tell that the server's event loop is idle when it waits inside uvloop's C code, so samples
whose top frame is the loop itself (Sanic's `serve`) are counted as idle and left out: percentages are
shares of the busy samples, that is of CPU time, not of wall-clock time. Waiting for the database or the
action server does not appear here (the latency breakdown by turn kind shows it), except that the
database calls are synchronous and block the event loop while they wait, which does appear.

The summary groups frames into the stages of a webhook call, so that "where does the time go" has an
answer in the stack's own terms. Groups are inclusive (a sample counts in every group that has a frame on
its stack), so they can add up to more than 100%.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

# (group, substrings of a frame "function (path:line)"), most specific first.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("NLU: message parsing (spaCy, featurizers, DIET, fallback)", ("parse_message (rasa/core/processor",)),
    ("Dialogue policies: next-action prediction", ("predict_next_action", "_predict_next_with_tracker")),
    ("TensorFlow (inside NLU and policies)", ("tensorflow/", "keras/")),
    ("Tracker store, all of it", ("rasa/core/tracker_store.py",)),
    ("SQLAlchemy / psycopg2 (inside the tracker store)", ("sqlalchemy/", "psycopg2")),
    ("Redaction before storing", ("prevent_assistant/redaction.py",)),
    ("Custom action call (HTTP to the action server)", ("rasa/core/actions/action.py:", "aiohttp/client")),
    ("Lock store", ("rasa/core/lock_store.py", "redis/")),
    ("Response templating (NLG)", ("rasa/core/nlg/",)),
    ("Event/tracker bookkeeping (rasa.shared.core)", ("rasa/shared/core/",)),
    ("Logging and structlog", ("logging/__init__.py", "structlog/")),
    ("Rasa message handling (everything for one message)", ("handle_message (rasa/core/processor.py",)),
    ("Loading the conversation from the tracker store", ("get_tracker (rasa/core/processor.py",)),
    ("Saving the conversation to the tracker store", ("save_tracker (rasa/core/processor.py",)),
    ("JSON (de)serialisation", ("json/", "ujson", "orjson")),
    ("jsonschema validation of action server replies", ("jsonschema/",)),
    ("rasa-sdk action execution (action server)", ("rasa_sdk/",)),
    ("Handoff database write (action server)", ("prevent_assistant/db/",)),
)


# Top frames that mean "the event loop is waiting for something to do".
IDLE_TOP_FRAMES = ("(sanic/server/runners.py:", "(selectors.py:", "(asyncio/base_events.py:")


def py_spy() -> str:
    found = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not found:
        raise FileNotFoundError("py-spy is not installed; `make bench` installs bench/requirements.txt")
    return found


def record(
    pid: int, output: Path, seconds: int, rate: int = 100, subprocesses: bool = False
) -> subprocess.Popen:
    """Start sampling `pid` for `seconds` in the background; wait on the returned process."""
    command = [py_spy(), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", str(rate)]
    command += ["--nonblocking", "--format", "raw", "--output", str(output)]
    if subprocesses:
        command.append("--subprocesses")
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def read_collapsed(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks.append((frames.split(";"), int(count)))
    return stacks


def _short(frame: str) -> str:
    return frame.replace("site-packages/", "").strip()


def summarise(path: Path, top: int = 15) -> dict[str, Any]:
    """Shares of samples by stage, and the functions with the most samples on top (self) and anywhere on
    the stack (inclusive)."""
    stacks = read_collapsed(path)
    idle = sum(count for frames, count in stacks if any(p in frames[-1] for p in IDLE_TOP_FRAMES))
    stacks = [
        (frames, count) for frames, count in stacks if not any(p in frames[-1] for p in IDLE_TOP_FRAMES)
    ]
    total = sum(count for _, count in stacks)
    if not total:
        return {"samples": 0, "idle_samples": idle, "stages": {}, "self": [], "inclusive": []}
    stages: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        for name, patterns in STAGES:
            if any(pattern in frame for frame in frames for pattern in patterns):
                stages[name] += count
        own[_short(frames[-1])] += count
        for frame in {_short(frame) for frame in frames}:
            inclusive[frame] += count

    def share(counter: Counter[str], limit: int | None = None) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(limit)]

    return {
        "samples": total,
        "idle_samples": idle,
        "stages": dict(share(stages)),
        "self": share(own, top),
        "inclusive": share(inclusive, top),
    }


def render(summary: dict[str, Any], title: str) -> str:
    """Plain text: the stage shares, then the hottest functions."""
    lines = [
        f"{title}: {summary['samples']} busy samples ({summary['idle_samples']} idle left out)",
        "",
        "Share of busy samples by stage (inclusive):",
    ]
    lines += [f"  {percent:5.1f}%  {name}" for name, percent in summary["stages"].items()]
    lines += ["", "Most samples on top of the stack (self):"]
    lines += [f"  {percent:5.1f}%  {name}" for name, percent in summary["self"]]
    lines += ["", "Most samples anywhere on the stack (inclusive):"]
    lines += [f"  {percent:5.1f}%  {name}" for name, percent in summary["inclusive"]]
    return "\n".join(lines) + "\n"
