"""`python -m bench`: train, measure the model in-process, then run the real stack in each configuration.

Order matters on a 2-core machine: nothing is measured while something else of ours runs. Training comes
first (its model is used for everything after), then the in-process figures (NLU quality, parse floor),
then each configuration on its own fresh database: start-up, one conversation at a time, the fixed offered
rates, the search for the highest sustained rate, an optional profiled run, and memory after the load.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import math
import resource
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from bench import anchor, floor, machine, procfs, profiling, quality, report, training
from bench.conversations import all_texts
from bench.load import SUSTAINED_P95_MS, interleaved, open_loop, summarise, sustained, wait_until_idle
from bench.options import LADDER, RESULTS, TARGETS, Options
from bench.stack import (
    Configuration,
    RunningConfiguration,
    configurations,
    credentials_without_rate_limits,
    redis_reachable,
    servers,
    started,
)
from prevent_assistant.paths import PROJECT, PROJECT_ROOT

ROOT = PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def in_process(model: Path, texts: list[str], messages: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """NLU quality (model vs baseline) and the parse floor, with the model loaded in this process."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa logs each parsed message's text at debug level
    started_at = time.perf_counter()
    agent = Agent.load(str(model))
    load_seconds = time.perf_counter() - started_at

    async def measure(agent: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        nlu = await quality.measure(agent, PROJECT.nlu_data_dir, PROJECT.nlu_holdout)
        parse = await floor.measure(agent, texts, repeats=max(1, math.ceil(messages / len(texts))))
        return nlu, parse

    nlu, parse = asyncio.run(measure(agent))
    parse["agent_load_s"] = round(load_seconds, 1)
    del agent
    gc.collect()
    return nlu, parse


def cpu_counters(running: RunningConfiguration) -> dict[str, float]:
    """CPU seconds so far of each server process, this client, and the machine's PostgreSQL and Redis."""
    counters = {name: procfs.cpu_seconds(pid) or 0.0 for name, pid in running.pids().items()}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    counters["bench client"] = usage.ru_utime + usage.ru_stime
    counters["postgres (all)"] = procfs.cpu_seconds_of_command("postgres")
    counters["redis-server (all)"] = procfs.cpu_seconds_of_command("redis-server")
    counters["machine"] = procfs.machine_busy_seconds()
    return counters


def cores_used(before: dict[str, float], after: dict[str, float], wall: float) -> dict[str, float]:
    """CPU cores each process used between two `cpu_counters` readings, and what other work took."""
    cores = {name: round((after[name] - before.get(name, 0.0)) / wall, 2) for name in after}
    # Everything the machine did that was not this benchmark or its stack: other people's work.
    cores["other work"] = round(
        max(0.0, cores["machine"] - sum(v for k, v in cores.items() if k != "machine")), 2
    )
    return cores


def load_run(running: RunningConfiguration, rate: float, options: Options) -> dict[str, Any]:
    """One open-loop run at `rate`, with the CPU each process used (in cores), then wait for the backlog."""
    before, started_at = cpu_counters(running), time.perf_counter()
    outcomes = asyncio.run(
        open_loop(
            running.webhook_url,
            rate,
            options.duration,
            options.warmup,
            options.think_time,
            options.timeout,
            options.seed + int(rate),
            check=not running.configuration.stock,
        )
    )
    wall = time.perf_counter() - started_at
    after = cpu_counters(running)
    result = {"offered_per_s": rate, "duration_s": options.duration, **summarise(outcomes, options.duration)}
    result["sustained"] = sustained(result)
    result["cpu_cores"] = cores_used(before, after, wall)
    result["drain_s"] = asyncio.run(wait_until_idle(running.webhook_url))
    click.echo(
        f"    {rate:>5g} msg/s: p50 {result['latency_ms']['p50']} ms, p95 {result['latency_ms']['p95']} ms, "
        f"p99 {result['latency_ms']['p99']} ms, errors {result['errors']}, "
        f"{'sustained' if result['sustained'] else 'NOT sustained'}"
    )
    return result


def capacity(running: RunningConfiguration, runs: list[dict[str, Any]], options: Options) -> dict[str, Any]:
    """Try the ladder above the fixed rates while they are sustained, then one rate between the highest
    sustained and the lowest failed one; the answer is the highest sustained rate below any failure."""

    def tested() -> tuple[list[float], list[float]]:
        passed = [r["offered_per_s"] for r in runs if r["sustained"]]
        failed = [r["offered_per_s"] for r in runs if not r["sustained"]]
        return passed, failed

    passed, failed = tested()
    if options.search and not failed:
        for rate in [r for r in LADDER if r > max(options.rates)][: options.search_steps]:
            runs.append(load_run(running, rate, options))
            if not runs[-1]["sustained"]:
                break
    passed, failed = tested()
    if options.search and failed:
        below = [r for r in passed if r < min(failed)]
        if below:
            middle = 5 * round((max(below) + min(failed)) / 2 / 5)
            if max(below) < middle < min(failed):
                runs.append(load_run(running, middle, options))
    passed, failed = tested()
    ceiling = min(failed) if failed else math.inf
    sustained_rates = [r for r in passed if r < ceiling]
    return {
        "highest_sustained_per_s": max(sustained_rates) if sustained_rates else None,
        "lowest_not_sustained_per_s": min(failed) if failed else None,
        "criterion": f"p95 <= {SUSTAINED_P95_MS:g} ms and no errors",
    }


def profile_run(running: RunningConfiguration, options: Options, stamp: str) -> dict[str, Any]:
    """An extra run at `profile_rate` with py-spy sampling the Rasa server and the action server."""
    seconds = math.ceil(options.warmup + options.duration)
    files = {name: options.results_dir / f"{stamp}-profile-{name}.txt" for name in ("rasa", "actions")}
    pids = running.pids()
    samplers = {name: profiling.record(pids[name], path, seconds) for name, path in files.items()}
    run = load_run(running, options.profile_rate, options)
    summaries, texts = {}, []
    for name, sampler in samplers.items():
        _, errors = sampler.communicate(timeout=120)
        if sampler.returncode != 0 or not files[name].exists():
            summaries[name] = {"error": errors.decode(errors="replace")[-500:]}
            continue
        summaries[name] = profiling.summarise(files[name])
        texts.append(profiling.render(summaries[name], f"{name} at {options.profile_rate:g} msg/s offered"))
    summary_file = options.results_dir / f"{stamp}-profile-summary.txt"
    summary_file.write_text("\n".join(texts), encoding="utf-8")
    return {
        "configuration": running.configuration.key,
        "rate_per_s": options.profile_rate,
        "run": run,
        "files": {name: str(path.relative_to(ROOT)) for name, path in files.items()},
        "summary_file": str(summary_file.relative_to(ROOT)),
        "summaries": summaries,
    }


@contextmanager
def start_configuration(
    configuration: Configuration, model: Path, credentials: Path, log_dir: Path, work_dir: Path
) -> Iterator[RunningConfiguration]:
    click.echo(f"  starting {configuration.key}: {configuration.title}")
    ports = (free_port(), free_port())
    log_dir = log_dir / configuration.key
    starting = servers(configuration, model, ports, credentials, log_dir, work_dir)
    with started(configuration, starting, log_dir) as running:
        click.echo(f"    ready: {running.started}")
        yield running


def all_cpu_counters(running: dict[str, RunningConfiguration]) -> dict[str, float]:
    """`cpu_counters` of every configuration at once, each server process named by its configuration."""
    merged: dict[str, float] = {}
    for key, configuration in running.items():
        counters = cpu_counters(configuration)
        merged.update({f"{key} {name}": counters[name] for name in configuration.pids()})
        merged.update({name: value for name, value in counters.items() if name not in configuration.pids()})
    return merged


def one_at_a_time(running: dict[str, RunningConfiguration], options: Options) -> dict[str, dict[str, Any]]:
    """Every configuration one message at a time, interleaved (`bench.load.interleaved`)."""
    click.echo(f"  one at a time, interleaved: {', '.join(running)}")
    before, started_at = all_cpu_counters(running), time.perf_counter()
    servers = {key: (r.webhook_url, not r.configuration.stock) for key, r in running.items()}
    outcomes = asyncio.run(
        interleaved(servers, options.sequential, options.sequential_warmup, options.seed, options.timeout)
    )
    used = cores_used(before, all_cpu_counters(running), time.perf_counter() - started_at)
    summaries = {
        key: {**summarise(found), "other_work_cores": used["other work"]} for key, found in outcomes.items()
    }
    for key, summary in summaries.items():
        click.echo(f"    {key}: {summary['latency_ms']}")
    return summaries


def measure_configuration(
    running: RunningConfiguration, sequential: dict[str, Any], options: Options, stamp: str
) -> dict[str, Any]:
    configuration = running.configuration
    click.echo(f"  configuration {configuration.key}: {configuration.title}")
    result: dict[str, Any] = {
        "title": configuration.title,
        "endpoints": str((configuration.endpoints or PROJECT.endpoints).relative_to(ROOT)),
        "rasa_env": {k: v for k, v in configuration.rasa_env.items() if "PASSWORD" not in k.upper()},
        "database": {k: running.database[k] for k in ("engine", "note")},
        "started": running.started,
        "one_at_a_time": sequential,
    }
    runs = [load_run(running, rate, options) for rate in options.rates]
    result["capacity"] = capacity(running, runs, options)
    result["rates"] = sorted(runs, key=lambda r: r["offered_per_s"])
    if options.profile and configuration.key == "A":
        result["profile"] = profile_run(running, options, stamp)
    result["processes_after_load"] = running.snapshot()
    return result


def run(options: Options, stamp: str) -> dict[str, Any]:
    results: dict[str, Any] = {
        "run": {
            "kind": "quick" if options.quick else "experiment" if options.experiment else "full",
            "label": options.label,
            "started_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "options": {
                k: (str(v) if isinstance(v, Path) else v)
                for k, v in options.__dict__.items()
                if k != "redis_url"
            },
        },
        "machine": machine.describe(ROOT),
        "targets": TARGETS,
    }
    load_at_start = machine.load_average()
    click.echo(
        f"Benchmark {stamp}: 1-minute load average {load_at_start} on {results['machine']['cpu_count']} CPUs"
    )
    begun = time.perf_counter()
    log_dir = PROJECT.log_dir / "bench" / stamp
    with tempfile.TemporaryDirectory(prefix="prevent-bench-") as temporary:
        work_dir = Path(temporary)
        if options.model:
            results["training"] = training.existing(options.model)
        else:
            click.echo("  training (rasa train --force)...")
            config = options.config
            if options.drop_policies:
                config = training.without_policies(config or PROJECT.config, options.drop_policies, work_dir)
            results["training"] = training.train(ROOT, work_dir / "model", log_dir / "train.log", config)
            click.echo(f"    {results['training']['seconds']} s, {results['training']['model_size_mb']} MB")
        model = Path(results["training"]["model_path"])
        click.echo("  NLU quality and parse floor, in-process...")
        results["nlu_quality"], results["floor"] = in_process(model, all_texts(), options.sequential)
        click.echo(f"    parse: {results['floor']['parse_ms']}")
        credentials, limited = credentials_without_rate_limits(PROJECT.credentials, work_dir)
        results["rate_limits_disabled_on"] = limited
        redis_url = options.redis_url if redis_reachable(options.redis_url) else None
        results["redis"] = {"url": options.redis_url, "reachable": bool(redis_url)}
        results["configurations"] = {}
        selected = [
            c for c in configurations(ROOT, redis_url, options.server_env()) if c.key in options.configs
        ]
        # Every configuration is started (one after another, each timed while the others wait idle), then
        # measured one message at a time, interleaved, then at each rate, one configuration at a time.
        with ExitStack() as running_stack:
            running: dict[str, RunningConfiguration] = {}
            for configuration in selected:
                served = model
                if configuration.stock:
                    click.echo("  training the stock `rasa init` bot (rasa train --force)...")
                    results["anchor_training"] = anchor.train(work_dir, log_dir / "train-stock.log")
                    served = Path(results["anchor_training"]["model_path"])
                running[configuration.key] = running_stack.enter_context(
                    start_configuration(configuration, served, credentials, log_dir, work_dir)
                )
            sequential = one_at_a_time(running, options)
            for key, configuration_running in running.items():
                results["configurations"][key] = measure_configuration(
                    configuration_running, sequential[key], options, stamp
                )
    results["run"]["load_average_1min"] = {"start": load_at_start, "end": machine.load_average()}
    results["run"]["seconds"] = round(time.perf_counter() - begun)
    results["run"]["logs"] = str(log_dir.relative_to(ROOT))
    return results


def _rates(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(",") if part.strip())


def _env(pairs: tuple[str, ...]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator:
            raise click.BadParameter(f"'{pair}' is not KEY=VALUE")
        env[key] = value
    return env


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option("--quick", is_flag=True, help="Smoke run: existing model, 2 short rates, no search or profile.")
@click.option("--rates", default="10,20,40", help="Fixed offered rates, messages/s, comma-separated.")
@click.option("--duration", type=float, default=20.0, help="Measured seconds per rate.")
@click.option("--warmup", type=float, default=5.0, help="Unmeasured seconds at the same rate before each.")
@click.option(
    "--search/--no-search", default=True, help="Search above the fixed rates for the highest sustained."
)
@click.option(
    "--search-steps", type=int, default=4, help="At most this many ladder rates above the fixed ones."
)
@click.option(
    "--sequential", type=int, default=300, help="Messages sent one at a time (after 30 of warm-up)."
)
@click.option(
    "--think-time", type=float, default=4.0, help="Seconds between one person's turns when on time."
)
@click.option("--timeout", type=float, default=10.0, help="Seconds before a message counts as timed out.")
@click.option(
    "--configs",
    default="S,A,B",
    help="Configurations to run: S (the stock rasa init bot), A (1 worker), B (2 workers + Redis).",
)
@click.option("--model", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Skip training.")
@click.option(
    "--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Train with this."
)
@click.option("--rasa-env", multiple=True, help="KEY=VALUE for the Rasa server (e.g. LOG_LEVEL=WARNING).")
@click.option("--drop-policy", multiple=True, help="Experiment: train without this policy (e.g. TEDPolicy).")
@click.option(
    "--cached-action-validation",
    is_flag=True,
    help="Experiment: validate action server replies with one compiled validator (bench/experiments).",
)
@click.option("--redis-url", default="redis://127.0.0.1:6379/12", help="Redis for configuration B.")
@click.option("--profile/--no-profile", default=True, help="An extra py-spy-profiled run on configuration A.")
@click.option("--profile-rate", type=float, default=20.0, help="Offered rate of the profiled run.")
@click.option("--label", default="", help="Name an experiment; it goes into the file names.")
@click.option("--seed", type=int, default=2606)
def main(**kwargs: Any) -> None:
    """Benchmark the real stack; results in bench/results/ (latest.md is the README table)."""
    quick = kwargs["quick"]
    model = kwargs["model"] or (PROJECT.model if quick else None)
    options = Options(
        quick=quick,
        rates=_rates("10,20" if quick else kwargs["rates"]),
        duration=5.0 if quick else kwargs["duration"],
        warmup=2.0 if quick else kwargs["warmup"],
        search=kwargs["search"] and not quick,
        search_steps=kwargs["search_steps"],
        sequential=60 if quick else kwargs["sequential"],
        sequential_warmup=10 if quick else 30,
        think_time=kwargs["think_time"],
        timeout=kwargs["timeout"],
        configs=tuple(c.strip().upper() for c in kwargs["configs"].split(",")),
        model=model,
        config=kwargs["config"],
        rasa_env=_env(kwargs["rasa_env"]),
        drop_policies=tuple(kwargs["drop_policy"]),
        cached_action_validation=kwargs["cached_action_validation"],
        redis_url=kwargs["redis_url"],
        profile=kwargs["profile"] and not quick,
        profile_rate=kwargs["profile_rate"],
        label=kwargs["label"],
        seed=kwargs["seed"],
    )
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    stamp += "-quick" if options.quick else f"-{options.label}" if options.label else ""
    out = options.results_dir
    out.mkdir(parents=True, exist_ok=True)
    results = run(options, stamp)
    markdown = report.render(results)
    (out / f"{stamp}.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (out / f"{stamp}.md").write_text(markdown, encoding="utf-8")
    if results["run"]["kind"] == "full":
        (RESULTS / "latest.md").write_text(markdown, encoding="utf-8")
    click.echo("\n" + markdown)
    click.echo(f"Results: {(out / stamp).relative_to(ROOT)}.json and .md")


if __name__ == "__main__":
    main()
