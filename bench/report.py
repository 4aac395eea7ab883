"""The results as markdown: every figure beside what it is compared with.

The first table is the one for the README: each target with configuration A and B side by side and whether
each met it; the webhook beside the in-process parse floor; the model beside the baseline. Detail tables
follow (every rate tried, latency by kind of turn, CPU per process during each run, memory per process), and
the JSON file next to this one holds every raw number.
"""

from __future__ import annotations

from typing import Any


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _triple(latency: dict[str, Any]) -> str:
    return f"{_ms(latency['p50'])} / {_ms(latency['p95'])} / {_ms(latency['p99'])} ms"


def _verdict(ok: bool | None) -> str:
    return "" if ok is None else " (met)" if ok else " (**missed**)"


def _rate(config: dict[str, Any], rate: float) -> dict[str, Any] | None:
    return next((r for r in config.get("rates", []) if r["offered_per_s"] == rate), None)


def _rasa_memory(config: dict[str, Any]) -> tuple[float, float | None, str]:
    """(peak RSS summed over the Rasa process and its workers, PSS now summed, how it was counted)."""
    processes = {k: v for k, v in config["processes_after_load"].items() if k.startswith("rasa")}
    peak = sum(p["peak_rss_mb"] or 0.0 for p in processes.values())
    pss = [p["pss_mb"] for p in processes.values()]
    how = "peak RSS" if len(processes) == 1 else f"peak RSS summed over {len(processes)} processes"
    return peak, (sum(pss) if all(v is not None for v in pss) else None), how


def _header(results: dict[str, Any]) -> list[str]:
    m, run = results["machine"], results["run"]
    versions = m["versions"]
    databases = sorted({c["database"]["engine"] for c in results["configurations"].values()})
    load = run["load_average_1min"]
    limit = f", cgroup limit {m['cgroup_cpu_limit']} CPUs" if m["cgroup_cpu_limit"] else ""
    lines = [
        f"Measured by `make bench` ({run['kind']} run{', ' + run['label'] if run['label'] else ''}) on "
        f"{m['date_utc']}, commit `{m['git']['commit'][:10]}` (uncommitted changes in the work tree: "
        f"{m['git']['dirty_files']} files), in {run['seconds']} s.",
        "",
        f"Machine: {m['cpu_model']}, {m['cpu_count']} CPUs ({m['cpus_usable']} usable{limit}), "
        f"{m['memory_gb']} GB, {m['os']}, kernel {m['kernel']}; Python {versions['python']}, Rasa "
        f"{versions['rasa']}, rasa-sdk {versions['rasa-sdk']}, Sanic {versions['sanic']}. Database: "
        f"{', '.join(databases)}, a fresh database per configuration. The machine is shared: 1-minute load "
        f"average {load['start']} at the start and {load['end']} at the end, counting this benchmark's own "
        "processes; the 'other work' figures below leave them out (CPU cores other processes took).",
        "",
        "Load: aiohttp, open loop. Each message's send time is fixed in advance at the offered rate and "
        "its latency runs from that time, so queueing counts. Messages belong to scripted multi-turn "
        "conversations (myths and follow-ups, worried about someone with a handoff, what is Prevent, an "
        "unclear message, an emergency), each with a fresh sender id, and a person waits for each reply. "
        "Errors: a non-200, a "
        f"timeout ({run['options']['timeout']:g} s), a connection error or an empty reply. Each rate runs "
        f"{run['options']['duration']:g} s after {run['options']['warmup']:g} s of warm-up.",
        "",
    ]
    notes = [c["database"]["note"] for c in results["configurations"].values() if c["database"]["note"]]
    if notes:
        lines += [f"**Note:** {notes[0]}", ""]
    return lines


TITLES = {"S": "S: stock `rasa init` bot", "A": "A: 1 worker", "B": "B: 2 Sanic workers, Redis locks"}


def _anchor_p95(results: dict[str, Any]) -> float | None:
    stock = results["configurations"].get("S")
    return stock["one_at_a_time"]["latency_ms"]["p95"] if stock else None


def _one_at_a_time_cell(key: str, config: dict[str, Any], results: dict[str, Any]) -> str:
    """p50 / p95 / p99, and for this assistant the p95 as a ratio to the stock bot's, judged on it."""
    latency = config["one_at_a_time"]["latency_ms"]
    anchor = _anchor_p95(results)
    if key == "S" or not anchor:
        return _triple(latency)
    ratio = latency["p95"] / anchor
    target = results["targets"]["one_at_a_time_p95_ratio"]
    return f"{_triple(latency)}; p95 {ratio:.2f}× the stock bot's" + _verdict(ratio <= target)


def _capacity_cell(key: str, config: dict[str, Any], targets: dict[str, Any]) -> str:
    cap = config["capacity"]
    best = cap["highest_sustained_per_s"]
    above = f" ({cap['lowest_not_sustained_per_s']:g} was not)" if cap["lowest_not_sustained_per_s"] else ""
    if best is None:
        text = f"none tested{above}"
    else:
        text = f"{best:g} msg/s{above}" if above else f"≥ {best:g} msg/s (the highest tried)"
    if key == "S":
        return text
    needed = targets["sustained_per_s_two_workers" if key == "B" else "sustained_per_s"]
    reached = best is not None and best >= needed
    untested = not reached and cap["lowest_not_sustained_per_s"] is None
    return text + (" (no higher rate tried)" if untested else _verdict(reached))


def _ready_cell(key: str, config: dict[str, Any], targets: dict[str, Any]) -> str:
    s = config["started"]
    text = f"{s['rasa_first_reply_s']:.1f} s"
    worst = s["rasa_first_reply_s"]
    loaded = s["rasa_all_workers_loaded_s"]
    if s["worker_processes"] > 1:
        if loaded is None:
            text += " (when every worker had loaded: unknown, its log line was hidden)"
        else:
            text += f" (all {s['worker_processes']} workers loaded: {loaded:.1f} s)"
            worst = max(worst, loaded)
    return text + ("" if key == "S" else _verdict(worst <= targets["ready_s"]))


def _memory_cell(key: str, config: dict[str, Any], targets: dict[str, Any]) -> str:
    """Peak RSS of the busiest Rasa process, judged per worker; with workers, PSS summed, judged in total."""
    processes = {k: v for k, v in config["processes_after_load"].items() if k.startswith("rasa")}
    workers = {k: v for k, v in processes.items() if k.startswith("rasa-worker-")} or processes
    largest = max(p["peak_rss_mb"] or 0.0 for p in workers.values())
    judge = key != "S"
    text = f"{largest:.0f} MB peak RSS" + (" per worker (the larger)" if len(processes) > 1 else "")
    text += _verdict(largest <= targets["rasa_memory_mb"]) if judge else ""
    _, pss, _ = _rasa_memory(config)
    if pss is not None and len(processes) > 1:
        # Forked workers share the parent's pages; RSS counts them in every process, PSS once.
        text += f"; {pss:.0f} MB PSS now over {len(processes)} processes, shared pages counted once"
        text += _verdict(pss <= targets["two_workers_pss_mb"]) if judge else ""
    return text


def _actions_cell(key: str, config: dict[str, Any], targets: dict[str, Any]) -> str:
    actions = config["processes_after_load"].get("actions")
    if actions is None:
        return "none (no custom actions)"
    peak = actions["peak_rss_mb"] or 0.0
    return f"{peak:.0f} MB" + _verdict(peak <= targets["actions_memory_mb"])


def _main_table(results: dict[str, Any]) -> list[str]:
    targets = results["targets"]
    configs = results["configurations"]
    keys = list(configs)
    parse = results["floor"]["parse_ms"]
    lines = [
        "| measure | target | " + " | ".join(TITLES.get(k, k) for k in keys) + " |",
        "| --- | --- | " + " | ".join("---" for _ in keys) + " |",
    ]

    def row(measure: str, target: str, cells: list[str]) -> None:
        lines.append(f"| {measure} | {target} | " + " | ".join(cells) + " |")

    row(
        "REST webhook, one conversation at a time: p50 / p95 / p99",
        f"p95 ≤ {targets['one_at_a_time_p95_ratio']:g} × the stock bot's",
        [_one_at_a_time_cell(k, c, results) for k, c in configs.items()],
    )
    row(
        "other work on the machine meanwhile (CPU cores)",
        "–",
        [f"{c['one_at_a_time']['other_work_cores']:.2f}" for c in configs.values()],
    )
    row(
        "floor: this assistant's NLU parse of the same messages, in-process",
        "–",
        ["–" if k == "S" else _triple(parse) for k in keys],
    )
    row(
        "overhead: webhook p95 / parse p95",
        "–",
        [
            "–" if k == "S" else f"{c['one_at_a_time']['latency_ms']['p95'] / parse['p95']:.1f}×"
            for k, c in configs.items()
        ],
    )
    rates = sorted({r["offered_per_s"] for c in configs.values() for r in c["rates"]})
    fixed = [r for r in rates if r in results["run"]["options"]["rates"]]
    for rate in fixed:
        target = f"p95 ≤ {targets['p95_at_20_per_s_ms']:g} ms, 0 errors" if rate == 20 else "–"
        cells = []
        for k, c in configs.items():
            r = _rate(c, rate)
            if r is None:
                cells.append("–")
                continue
            ok = None
            if rate == 20 and k != "S":
                ok = r["errors"] == 0 and r["latency_ms"]["p95"] <= targets["p95_at_20_per_s_ms"]
            cells.append(f"{_triple(r['latency_ms'])}, {r['errors']} errors" + _verdict(ok))
        row(f"{rate:g} messages/s offered: p50 / p95 / p99, errors", target, cells)
    for measure, target, cell in (
        (
            f"highest rate sustained (p95 ≤ {targets['sustained_p95_ms']:g} ms, no errors)",
            f"A ≥ {targets['sustained_per_s']:g} msg/s; B ≥ {targets['sustained_per_s_two_workers']:g} msg/s",
            _capacity_cell,
        ),
        ("Rasa server start to first webhook reply", f"≤ {targets['ready_s']:g} s", _ready_cell),
        (
            "Rasa server memory after the load",
            f"≤ {targets['rasa_memory_mb']:g} MB per worker; "
            f"2 workers ≤ {targets['two_workers_pss_mb']:g} MB PSS",
            _memory_cell,
        ),
        (
            "action server resident memory after the load (peak)",
            f"≤ {targets['actions_memory_mb']:g} MB",
            _actions_cell,
        ),
    ):
        row(measure, target, [cell(k, c, targets) for k, c in configs.items()])
    return lines


def _model_table(results: dict[str, Any]) -> list[str]:
    targets, training, nlu = results["targets"], results["training"], results["nlu_quality"]
    base = nlu["baseline_tfidf_logreg"]
    parse, predict = results["floor"]["parse_ms"], base["predict_ms"]
    trained = training["seconds"]
    training_cell = (
        f"{trained:.0f} s using {training['cpu_cores']:.2f} cores while other work took "
        f"{training['other_work_cores']:.2f}; peak memory {training['peak_rss_mb']:.0f} MB"
        + _verdict(trained <= targets["training_s"])
        if trained is not None
        else "not trained in this run (model given)"
    )
    e2e, clf = nlu["model_end_to_end"], nlu["model_classifier"]
    stock = results.get("anchor_training")
    stock_cell = (
        f"; the stock `rasa init` bot: {stock['seconds']:.0f} s, {stock['model_size_mb']:.1f} MB"
        if stock
        else ""
    )
    recall = nlu.get("emergency_recall")
    recall_cell = "–" if recall is None else f"{recall:.3f}" + _verdict(recall >= 1.0)
    return [
        "| model | target | this run | compared with |",
        "| --- | --- | --- | --- |",
        f"| full training, `rasa train --force` | ≤ {targets['training_s']:g} s | {training_cell} | "
        f"baseline TF-IDF + logistic regression: {base['training_seconds']:.1f} s{stock_cell} |",
        f"| model size | – | {training['model_size_mb']:.1f} MB | – |",
        f"| held-out intent macro-F1 ({nlu['holdout_examples']} messages, {nlu['intents']} intents) | "
        f"≥ {targets['holdout_macro_f1']:g} | {e2e['macro_f1']:.3f} end to end (fallback = miss); "
        f"{clf['macro_f1']:.3f} classifier only | baseline: {base['macro_f1']:.3f} |",
        f"| held-out emergency recall, end to end | 1.0 | {recall_cell} | – |",
        f"| held-out accuracy | – | {e2e['accuracy']:.3f} end to end; {clf['accuracy']:.3f} classifier "
        f"only | baseline: {base['accuracy']:.3f} |",
        f"| time to understand one message: p50 / p95 | – | {_ms(parse['p50'])} / {_ms(parse['p95'])} ms "
        f"(Rasa NLU pipeline) | baseline: {_ms(predict['p50'])} / {_ms(predict['p95'])} ms |",
    ]


def _rates_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| config | offered /s | achieved /s | p50 | p95 | p99 | max | errors | wrong replies | held by "
        "previous reply | CPU, cores: Rasa | Rasa CPU per message | actions | PostgreSQL | client | "
        "other work | sustained |",
        "| --- " + "| ---: " * 6 + "| --- " + "| ---: " * 8 + "| --- |",
    ]
    for key, config in results["configurations"].items():
        for r in config["rates"]:
            cpu = r["cpu_cores"]
            rasa = sum(v for name, v in cpu.items() if name.startswith("rasa"))
            errors = ", ".join(f"{n} {cause}" for cause, n in r["errors_by_cause"].items()) or "0"
            lat = r["latency_ms"]
            lines.append(
                f"| {key} | {r['offered_per_s']:g} | {r['achieved_per_s']:g} | {_ms(lat['p50'])} | "
                f"{_ms(lat['p95'])} | {_ms(lat['p99'])} | {_ms(lat['max'])} | {errors} | "
                f"{r['unexpected_replies']} | {r['waited_for_previous_reply']} | {rasa:.2f} | "
                f"{1000 * rasa / max(r['achieved_per_s'], 0.1):.1f} ms | "
                f"{cpu.get('actions', 0):.2f} | {cpu.get('postgres (all)', 0):.2f} | "
                f"{cpu.get('bench client', 0):.2f} | {cpu.get('other work', 0):.2f} | "
                f"{'yes' if r['sustained'] else 'no'} |"
            )
    return lines


def _kinds_table(results: dict[str, Any]) -> list[str]:
    kinds = sorted({k for c in results["configurations"].values() for k in c["one_at_a_time"]["by_kind_ms"]})
    lines = [
        "| config | " + " | ".join(f"{k}: n, p50 / p95" for k in kinds) + " | wrong replies |",
        "| --- | " + " | ".join("---" for _ in kinds) + " | ---: |",
    ]
    for key, config in results["configurations"].items():
        by_kind = config["one_at_a_time"]["by_kind_ms"]
        cells = [
            f"{by_kind[k]['count']}, {_ms(by_kind[k]['p50'])} / {_ms(by_kind[k]['p95'])} ms"
            if k in by_kind
            else "–"
            for k in kinds
        ]
        lines.append(
            f"| {key} | " + " | ".join(cells) + f" | {config['one_at_a_time']['unexpected_replies']} |"
        )
    return lines


def _memory_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| config | process | RSS now | peak RSS (VmHWM) | PSS now |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for key, config in results["configurations"].items():
        for name, p in config["processes_after_load"].items():
            lines.append(f"| {key} | {name} | {p['rss_mb']} MB | {p['peak_rss_mb']} MB | {p['pss_mb']} MB |")
    return lines


def _notes(results: dict[str, Any]) -> list[str]:
    lines = []
    for key, config in results["configurations"].items():
        s = config["started"]
        actions = (
            "no action server"
            if s["actions_ready_s"] is None
            else f"the action server was ready after {s['actions_ready_s']:.1f} s"
        )
        lines.append(
            f"* {key}: {config['title']}. Process tree: {s['worker_processes_note']}. `/` answered after "
            f"{s['rasa_root_answers_s']:.1f} s (Rasa loads the model before it serves anything); {actions}."
        )
    limited = results.get("rate_limits_disabled_on") or []
    lines.append(
        "* Rate limiting switched off for the run (one client address): "
        + (", ".join(f"`{name}`" for name in limited) if limited else "no channel in credentials.yml had one")
        + "."
    )
    floor = results["floor"]
    lines.append(
        f"* The floor is `Agent.parse_message` on the scripts' {floor['texts']} messages, repeated to "
        f"{floor['parse_ms']['count']} calls, in the benchmark process with nothing else running. Wrong "
        "replies are replies without the fragment the script expects (for example a handoff without its "
        "reference); they are counted, not treated as errors."
    )
    if "profile" in results["configurations"].get("A", {}):
        profile = results["configurations"]["A"]["profile"]
        lines.append(
            f"* Profile: py-spy on configuration A at {profile['rate_per_s']:g} messages/s; stacks in "
            f"`{profile['files']['rasa']}` and `{profile['files']['actions']}`, summary in "
            f"`{profile['summary_file']}`, findings in `bench/PROFILE.md`."
        )
    return lines


def render(results: dict[str, Any]) -> str:
    parts = (
        ["## Benchmark", ""]
        + _header(results)
        + _main_table(results)
        + [""]
        + _model_table(results)
        + ["", "### Every rate tried", ""]
        + _rates_table(results)
        + ["", "### One conversation at a time, by kind of turn", ""]
        + _kinds_table(results)
        + ["", "### Memory after the load", ""]
        + _memory_table(results)
        + ["", "### Notes", ""]
        + _notes(results)
    )
    return "\n".join(parts) + "\n"
