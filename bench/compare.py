"""Several benchmark runs side by side: `python -m bench.compare bench/results/A.json bench/results/B.json`.

Experiments (a policy dropped, an environment variable set) are judged against a run of the project as it
is, and on a shared machine a single figure moves with other people's work. So each row shows the figures
that matter for the targets together with how much other work was running, and the Rasa server's CPU time
per message, which moves much less with contention than latency does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _rate(config: dict[str, Any], rate: float) -> dict[str, Any] | None:
    return next((r for r in config["rates"] if r["offered_per_s"] == rate), None)


def _cpu_ms_per_message(run: dict[str, Any] | None) -> str:
    if run is None or not run["achieved_per_s"]:
        return "–"
    rasa = sum(v for name, v in run["cpu_cores"].items() if name.startswith("rasa"))
    return f"{1000 * rasa / run['achieved_per_s']:.1f}"


def _capacity(capacity: dict[str, Any]) -> str:
    best = capacity["highest_sustained_per_s"]
    if best is None:
        return "none"
    return f"{best:g}" if capacity["lowest_not_sustained_per_s"] else f"≥ {best:g}"


def row(name: str, results: dict[str, Any], key: str) -> str | None:
    config = results["configurations"].get(key)
    if config is None:
        return None
    one = config["one_at_a_time"]
    kinds = one["by_kind_ms"]
    at20 = _rate(config, 20)
    rasa_memory = sum(
        (p["pss_mb"] if len(config["processes_after_load"]) > 2 else p["peak_rss_mb"]) or 0
        for n, p in config["processes_after_load"].items()
        if n.startswith("rasa")
    )
    other = [r["cpu_cores"].get("other work", 0.0) for r in config["rates"]]
    training = results["training"]["seconds"]
    cells = [
        name,
        key,
        f"{one['latency_ms']['p95']:.1f}",
        f"{kinds.get('answer', {}).get('p50') or 0:.1f}",
        f"{kinds.get('handoff', {}).get('p50') or 0:.1f}",
        f"{at20['latency_ms']['p95']:.0f}" if at20 else "–",
        _cpu_ms_per_message(at20),
        _capacity(config["capacity"]),
        f"{config['started']['rasa_all_workers_loaded_s'] or config['started']['rasa_first_reply_s']:.1f}",
        f"{rasa_memory:.0f}",
        f"{training:.0f}" if training else "–",
        f"{min(other):.2f}–{max(other):.2f}" if other else "–",
    ]
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| run | config | one at a time p95 ms | answer turn p50 ms | handoff turn p50 ms | p95 at 20/s ms | "
    "Rasa CPU ms/message at 20/s | highest sustained /s | ready s | Rasa memory MB | training s | "
    "other work, cores |\n| --- | --- " + "| ---: " * 10 + "|"
)


def main(paths: list[str]) -> None:
    """Print one markdown row per configuration of each run (memory: peak RSS, or PSS summed over workers)."""
    print(HEADER)
    for path in paths:
        results = json.loads(Path(path).read_text(encoding="utf-8"))
        name = results["run"]["label"] or results["run"]["kind"]
        for key in ("S", "A", "B"):
            line = row(name, results, key)
            if line:
                print(line)


if __name__ == "__main__":
    main(sys.argv[1:])
