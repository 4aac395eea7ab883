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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from prevent_assistant.db.migrate import upgrade
from prevent_assistant.settings import (
    API_TOKEN_FILE,
    API_TOKEN_VARIABLE,
    DATABASE_URL_VARIABLE,
    database_url,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Stack:
    """Where the running servers can be reached."""

    rasa_url: str
    actions_url: str
    api_token: str = ""

    @property
    def webhook_url(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> None:
    """Poll `url` until it answers; fail early if the process died, so errors are not hidden as timeouts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def _endpoints_for(actions_url: str, base: Path) -> Path:
    """A copy of endpoints.yml pointing at this stack's action server (ports differ between stacks)."""
    endpoints = yaml.safe_load((base / "endpoints.yml").read_text(encoding="utf-8")) or {}
    endpoints["action_endpoint"] = {"url": f"{actions_url}/webhook"}
    handle, name = tempfile.mkstemp(prefix="endpoints-", suffix=".yml")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        yaml.safe_dump(endpoints, file)
    return Path(name)


def widget_cors_arguments(project_root: Path) -> list[str]:
    """`--cors` for the origins allowed to embed the widget, so their browsers' preflights succeed too."""
    credentials = yaml.safe_load((project_root / "credentials.yml").read_text(encoding="utf-8")) or {}
    widget = credentials.get("prevent_assistant.widget_channel.WidgetInput") or {}
    origins = widget.get("allowed_origins") or []
    return ["--cors", *origins] if origins else []


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM, not SIGINT: a child started from a background job inherits an ignored SIGINT."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_stack(
    model: Path,
    rasa_port: int = 5005,
    actions_port: int = 5055,
    log_dir: Path | None = None,
    timeout: float = 180.0,
    project_root: Path = PROJECT_ROOT,
    with_rasa_server: bool = True,
    database: str | None = None,
    action_server_env: dict[str, str] | None = None,
    api_token: str | None = None,
) -> Iterator[Stack]:
    """Run both servers for the duration of the `with` block; their output goes to `log_dir` if given.

    Migrations are applied to `database` (default: DATABASE_URL) first; both servers use it.
    `with_rasa_server=False` starts the action server alone, for `rasa shell`, which runs its own server.
    `action_server_env` overrides environment variables for the action server only.
    Rasa's HTTP API (used by `prevent-assistant deploy`) is always on and always behind `api_token`
    (default: RASA_API_TOKEN, else a random one): it is never reachable without a token.
    """
    api_token = api_token or os.environ.get(API_TOKEN_VARIABLE) or secrets.token_urlsafe(32)
    database = database or database_url()
    upgrade(database)
    env = {**os.environ, DATABASE_URL_VARIABLE: database}
    actions_url = f"http://127.0.0.1:{actions_port}"
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    endpoints = _endpoints_for(actions_url, project_root)
    logs = []
    processes: list[subprocess.Popen] = []

    def output(name: str):
        if log_dir is None:
            return None
        log_dir.mkdir(parents=True, exist_ok=True)
        logs.append(open(log_dir / f"{name}.log", "ab"))  # noqa: SIM115 - closed in finally
        return logs[-1]

    rasa = str(VENV_BIN / "rasa")
    try:
        actions_cmd = [rasa, "run", "actions", "--actions", "actions", "--port", str(actions_port)]
        processes.append(
            subprocess.Popen(
                actions_cmd,
                cwd=project_root,
                env={**env, **(action_server_env or {})},
                stdout=output("actions"),
                stderr=subprocess.STDOUT,
            )
        )
        _wait_until_up(f"{actions_url}/health", processes[0], timeout)
        if not with_rasa_server:
            yield Stack(rasa_url="", actions_url=actions_url)
            return
        server_cmd = [
            rasa, "run", "--model", str(model), "--port", str(rasa_port), "--interface", "127.0.0.1",
            "--credentials", "credentials.yml", "--endpoints", str(endpoints),
            "--enable-api", "--auth-token", api_token,
            *widget_cors_arguments(project_root),
        ]  # fmt: skip
        processes.append(
            subprocess.Popen(
                server_cmd, cwd=project_root, env=env, stdout=output("rasa"), stderr=subprocess.STDOUT
            )
        )
        _wait_until_up(f"{rasa_url}/", processes[1], timeout)
        yield Stack(rasa_url=rasa_url, actions_url=actions_url, api_token=api_token)
    finally:
        for process in reversed(processes):
            _stop(process)
        for log in logs:
            log.close()
        endpoints.unlink(missing_ok=True)


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Prevent assistant on localhost.")
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "prevent.tar.gz")
    parser.add_argument("--port", type=int, default=int(os.environ.get("RASA_PORT", 5005)))
    parser.add_argument("--actions-port", type=int, default=int(os.environ.get("ACTIONS_PORT", 5055)))
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
            args.model, args.port, args.actions_port, log_dir, with_rasa_server=not args.shell
        ) as stack:
            if args.shell:
                return _chat_in_terminal(args.model, stack, args.port)
            _remember_token_for_deploy(stack.api_token)
            print(
                "\nThe Prevent assistant is running.\n"
                f"  Open in a browser:  {stack.rasa_url}/webhooks/widget/\n"
                f"  Chat over HTTP:     curl -s {stack.webhook_url} "
                '-d \'{"sender": "me", "message": "is prevent spying?"}\'\n'
                "  Chat in a terminal: make shell (in another terminal)\n"
                "  Look up a handoff:  .venv/bin/prevent-assistant handoff list\n"
                "  Deploy a new model: .venv/bin/prevent-assistant deploy\n"
                f"  Database:           {database_url()}\n"
                f"  Server logs:        {log_dir}\n"
                "Press Ctrl+C to stop.",
                flush=True,
            )
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopped.")
    except (RuntimeError, TimeoutError) as error:
        print(f"error: the assistant did not start: {error}. See {log_dir} for details.", file=sys.stderr)
        return 1
    return 0


def _remember_token_for_deploy(token: str) -> None:
    """Let `prevent-assistant deploy` on this machine find the token when none is set in the environment."""
    if os.environ.get(API_TOKEN_VARIABLE):
        return
    API_TOKEN_FILE.parent.mkdir(parents=True, exist_ok=True)
    API_TOKEN_FILE.touch(mode=0o600, exist_ok=True)
    API_TOKEN_FILE.chmod(0o600)
    API_TOKEN_FILE.write_text(token, encoding="utf-8")


def _chat_in_terminal(model: Path, stack: Stack, port: int) -> int:
    endpoints = _endpoints_for(stack.actions_url, PROJECT_ROOT)
    shell = [str(VENV_BIN / "rasa"), "shell", "--model", str(model), "--endpoints", str(endpoints)]
    shell += ["--port", str(port)]
    try:
        return subprocess.call(shell, cwd=PROJECT_ROOT)
    finally:
        endpoints.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
