"""Start the action server and the Rasa server together, wait until both answer, and stop them together.

`make run`, `make shell` and the integration tests all need the same two processes started the same way;
keeping that in one place means the tests exercise exactly what a newcomer runs.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from prevent_assistant.console.config import console_settings
from prevent_assistant.console.config import retention as console_retention
from prevent_assistant.db import DatabaseError
from prevent_assistant.db.migrate import upgrade
from prevent_assistant.db.retention import purge
from prevent_assistant.processes import ServerProcesses
from prevent_assistant.settings import (
    ACTION_SERVER_URL_VARIABLE,
    API_TOKEN_FILE,
    API_TOKEN_VARIABLE,
    DATABASE_URL_VARIABLE,
    database_url,
    rasa_environment,
    retention,
)
from prevent_assistant.staff.jobs import RASA_URL_VARIABLE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# `make run` deletes what is past the retention period itself, this often, so nothing outlives the period by
# more than this (deployments schedule `prevent-assistant purge` instead; see docs).
PURGE_INTERVAL_SECONDS = 3600


@dataclass(frozen=True)
class Stack:
    """Where the running servers can be reached, and their processes (for fault tests and the benchmark)."""

    rasa_url: str
    actions_url: str
    api_token: str = ""
    rasa_urls: tuple[str, ...] = ()
    processes: ServerProcesses | None = field(default=None, compare=False, repr=False)
    console_url: str = ""

    @property
    def webhook_url(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"


def rasa_process_name(index: int) -> str:
    """`rasa` for the first Rasa server of a stack, `rasa-2`, `rasa-3`... for further instances."""
    return "rasa" if index == 0 else f"rasa-{index + 1}"


def _endpoints_for(actions_url: str, base: Path) -> Path:
    """A copy of `base` pointing at this stack's action server (ports differ between stacks)."""
    endpoints = yaml.safe_load(base.read_text(encoding="utf-8")) or {}
    endpoints["action_endpoint"] = {
        **(endpoints.get("action_endpoint") or {}),
        "url": f"{actions_url}/webhook",
    }
    handle, name = tempfile.mkstemp(prefix="endpoints-", suffix=".yml")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        yaml.safe_dump(endpoints, file)
    return Path(name)


def widget_cors_arguments(credentials: Path) -> list[str]:
    """`--cors` for the origins allowed to embed the widget, so their browsers' preflights succeed too."""
    channels = yaml.safe_load(credentials.read_text(encoding="utf-8")) or {}
    widget = channels.get("prevent_assistant.channels.widget.WidgetInput") or {}
    origins = widget.get("allowed_origins") or []
    return ["--cors", *origins] if origins else []


def console_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The call handlers' console: its own process and port, beside (never behind) the public server."""
    return [str(VENV_BIN / "python"), "-m", "prevent_assistant.console", "--host", host, "--port", str(port)]


def rasa_run_command(
    python: str, model: Path, port: int, credentials: Path, endpoints: Path, api_token: str
) -> list[str]:
    """The `rasa run` command line for one Rasa server of a stack, through `prevent_assistant.rasa_server`
    (Rasa's own command line, without TensorFlow when the model needs none).

    The token is joined to its option (`--auth-token=...`): a random URL-safe token starts with "-" about
    one time in 64, and argparse then reads it as an option and refuses to start (a flaky CI failure).
    """
    return [
        python, "-m", "prevent_assistant.rasa_server",
        "run", "--model", str(model), "--port", str(port), "--interface", "127.0.0.1",
        "--credentials", str(credentials), "--endpoints", str(endpoints),
        "--enable-api", f"--auth-token={api_token}",
        *widget_cors_arguments(credentials),
    ]  # fmt: skip


@contextmanager
def running_stack(
    model: Path,
    rasa_port: int | Sequence[int] = 5005,
    actions_port: int = 5055,
    log_dir: Path | None = None,
    timeout: float = 180.0,
    project_root: Path = PROJECT_ROOT,
    with_rasa_server: bool = True,
    database: str | None = None,
    action_server_env: dict[str, str] | None = None,
    api_token: str | None = None,
    endpoints: Path | None = None,
    credentials: Path | None = None,
    rasa_env: dict[str, str] | None = None,
    require_model: bool = True,
    console_port: int | None = None,
) -> Iterator[Stack]:
    """Run the action server and one Rasa server per port in `rasa_port` for the `with` block.

    Migrations are applied to `database` (default: DATABASE_URL) first; all servers use it.
    `with_rasa_server=False` starts the action server alone, for `rasa shell`, which runs its own server.
    `endpoints` and `credentials` default to the project's files; `deploy/endpoints.yml` gives the
    multi-instance set-up. `action_server_env` and `rasa_env` add environment variables to one side only.
    Rasa's HTTP API (used by `prevent-assistant deploy`) is always on and always behind `api_token`
    (default: RASA_API_TOKEN, else a random one): it is never reachable without a token.
    A Rasa server whose model did not load keeps running and answers `/`; unless `require_model` is
    False (to test that state), such a stack fails at once with the reason.
    With `console_port`, the call handlers' console runs too (process `console`), on localhost only.
    """
    api_token = api_token or os.environ.get(API_TOKEN_VARIABLE) or secrets.token_urlsafe(32)
    database = database or database_url()
    upgrade(database)
    env = {**rasa_environment(), DATABASE_URL_VARIABLE: database}
    actions_url = f"http://127.0.0.1:{actions_port}"
    rasa_ports = [rasa_port] if isinstance(rasa_port, int) else list(rasa_port)
    rasa_urls = tuple(f"http://127.0.0.1:{port}" for port in rasa_ports)
    endpoints_copy = _endpoints_for(actions_url, endpoints or project_root / "endpoints.yml")
    credentials = credentials or project_root / "credentials.yml"
    processes = ServerProcesses(cwd=project_root, log_dir=log_dir, timeout=timeout)
    python = str(VENV_BIN / "python")
    try:
        processes.start(
            "actions",
            [
                python,
                "-m",
                "prevent_assistant.action_server",
                "--actions",
                "actions",
                "--port",
                str(actions_port),
            ],  # fmt: skip
            f"{actions_url}/health",
            {**env, **(action_server_env or {})},
        )
        console_url = ""
        if console_port is not None:
            console_url = f"http://127.0.0.1:{console_port}"
            # Deploy and Roll back on the console's Models page swap models in this stack's Rasa server.
            console_env = {**env, RASA_URL_VARIABLE: rasa_urls[0]}
            processes.start("console", console_command(console_port), f"{console_url}/health", console_env)
        if not with_rasa_server:
            yield Stack(rasa_url="", actions_url=actions_url, processes=processes, console_url=console_url)
            return
        rasa_server_env = {**env, ACTION_SERVER_URL_VARIABLE: f"{actions_url}/webhook", **(rasa_env or {})}
        for index, (port, url) in enumerate(zip(rasa_ports, rasa_urls, strict=True)):
            command = rasa_run_command(python, model, port, credentials, endpoints_copy, api_token)
            processes.start(rasa_process_name(index), command, f"{url}/", rasa_server_env)
            if require_model:
                _check_model_loaded(url, api_token)
        yield Stack(rasa_urls[0], actions_url, api_token, rasa_urls, processes, console_url)
    finally:
        processes.stop_all()
        endpoints_copy.unlink(missing_ok=True)


def _check_model_loaded(rasa_url: str, api_token: str) -> None:
    """`/status` answers 200 only once a model is loaded (409 otherwise): the real readiness check."""
    try:
        with urllib.request.urlopen(f"{rasa_url}/status?token={api_token}", timeout=10):
            return
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"the Rasa server at {rasa_url} has no model loaded (HTTP {error.code})") from None


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Prevent assistant on localhost.")
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "prevent.tar.gz")
    parser.add_argument("--port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    parser.add_argument("--actions-port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055)))
    parser.add_argument(
        "--console-port", type=int, default=int(os.environ.get("CONSOLE_PORT", console_settings()["port"]))
    )
    parser.add_argument("--shell", action="store_true", help="chat in this terminal instead")
    args = parser.parse_args(argv)
    if not args.model.exists():
        print(f"error: no trained model at {args.model}; run `make train` first", file=sys.stderr)
        return 1
    # Ctrl+C, a service manager's SIGTERM, or SIGINT to a background job: shut both servers down cleanly.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    signal.signal(signal.SIGINT, _raise_keyboard_interrupt)
    log_dir = PROJECT_ROOT / "var" / "log"
    try:
        with running_stack(
            args.model,
            args.port,
            args.actions_port,
            log_dir,
            with_rasa_server=not args.shell,
            console_port=None if args.shell else args.console_port,
        ) as stack:
            if args.shell:
                return _chat_in_terminal(args.model, stack, args.port)
            _remember_token_for_deploy(stack.api_token)
            print(
                "\nThe Prevent assistant is running.\n"
                f"  Open in a browser:  {stack.rasa_url}/webhooks/widget/\n"
                f"  Chat over HTTP:     curl -s {stack.webhook_url} "
                '-d \'{"sender": "a-random-id", "message": "is prevent spying?"}\'\n'
                "  Chat in a terminal: make shell (in another terminal)\n"
                "  Look up a handoff:  .venv/bin/prevent-assistant handoff list\n"
                "  Deploy a new model: .venv/bin/prevent-assistant deploy\n"
                f"  Staff console:      {stack.console_url}/  (first account: .venv/bin/prevent-assistant "
                "users add YOUR-NAME --role admin)\n"
                f"  Database:           {database_url()}\n"
                f"  Server logs:        {log_dir}\n"
                "Press Ctrl+C to stop.",
                flush=True,
            )
            while True:
                purge_expired()
                time.sleep(PURGE_INTERVAL_SECONDS)
    except KeyboardInterrupt:
        print("\nStopped.")
    except (RuntimeError, TimeoutError) as error:
        print(f"error: the assistant did not start: {error}. See {log_dir} for details.", file=sys.stderr)
        return 1
    return 0


def purge_expired() -> None:
    """Delete conversations and closed handoffs past `retention` in settings.yml, as the privacy notice
    promises; also audit entries past `console.audit_retention` and ended console sessions. A database
    error is reported in one line and tried again next time; it never stops serving."""
    try:
        report = purge(retention(), console=console_retention())
    except DatabaseError as error:
        print(f"warning: could not delete expired conversations ({type(error).__name__})", file=sys.stderr)
        return
    if report.conversations or report.handoffs:
        deleted = f"{report.conversations} expired conversation(s), {report.handoffs} handoff(s)"
        print(f"Deleted {deleted}.", flush=True)


def _remember_token_for_deploy(token: str) -> None:
    """Let `prevent-assistant deploy` on this machine find the token when none is set in the environment."""
    if os.environ.get(API_TOKEN_VARIABLE):
        return
    API_TOKEN_FILE.parent.mkdir(parents=True, exist_ok=True)
    API_TOKEN_FILE.touch(mode=0o600, exist_ok=True)
    API_TOKEN_FILE.chmod(0o600)
    API_TOKEN_FILE.write_text(token, encoding="utf-8")


def _chat_in_terminal(model: Path, stack: Stack, port: int) -> int:
    endpoints = _endpoints_for(stack.actions_url, PROJECT_ROOT / "endpoints.yml")
    shell = [str(VENV_BIN / "rasa"), "shell", "--model", str(model), "--endpoints", str(endpoints)]
    shell += ["--port", str(port)]
    try:
        return subprocess.call(shell, cwd=PROJECT_ROOT)
    finally:
        endpoints.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
