"""The server processes of one running stack, by name, each started, stopped and restarted the same way.

`make run`, the tests and the benchmark all start servers through here. Keeping the command and the
environment of each process lets a fault test kill one server and bring it back exactly as it was, and lets
the benchmark read each one's start-up time and memory.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


@dataclass
class Server:
    """One process: how it was started, and how long it took to answer its ready URL."""

    command: list[str]
    ready_url: str
    env: dict[str, str]
    process: subprocess.Popen
    seconds_to_ready: float = 0.0


def wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> None:
    """Poll `url` until it answers; fail early if the process died, so errors are not hidden as timeouts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class ServerProcesses:
    """Named processes sharing a working directory and a log folder (`<name>.log`, appended to)."""

    cwd: Path
    log_dir: Path | None = None
    timeout: float = 180.0
    servers: dict[str, Server] = field(default_factory=dict)
    _logs: list[IO[bytes]] = field(default_factory=list)

    def start(self, name: str, command: list[str], ready_url: str, env: dict[str, str]) -> Server:
        """Start `command` and return once `ready_url` answers."""
        started = time.monotonic()
        log = self._log(name)
        log_start = log.tell() if log else 0
        process = subprocess.Popen(command, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        server = Server(command, ready_url, env, process)
        self.servers[name] = server
        try:
            wait_until_up(ready_url, process, self.timeout)
        except RuntimeError as error:
            # A server that died at start says why only in its log: carry the end of it into the error.
            raise RuntimeError(f"{error}; its log ended:\n{self._log_tail(name, log_start)}") from None
        server.seconds_to_ready = time.monotonic() - started
        return server

    def stop(self, name: str, kill: bool = False) -> None:
        """SIGTERM (SIGKILL with `kill`, as a crash would); SIGTERM, not SIGINT, because a child started
        from a background job inherits an ignored SIGINT."""
        process = self.servers[name].process
        if process.poll() is not None:
            return
        if kill:
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self, name: str) -> Server:
        """Stop `name` if it runs and start it again with the same command and environment."""
        self.stop(name)
        old = self.servers[name]
        return self.start(name, old.command, old.ready_url, old.env)

    def pid(self, name: str) -> int:
        return self.servers[name].process.pid

    def stop_all(self) -> None:
        for name in reversed(list(self.servers)):
            self.stop(name)
        for log in self._logs:
            log.close()
        self._logs.clear()

    def _log_tail(self, name: str, start: int, lines: int = 30) -> str:
        """The last `lines` lines `name` logged since byte `start`: start-up output, never a message."""
        if self.log_dir is None:
            return "(no log kept)"
        with open(self.log_dir / f"{name}.log", "rb") as log:
            log.seek(start)
            return "\n".join(log.read().decode("utf-8", "replace").splitlines()[-lines:])

    def _log(self, name: str) -> IO[bytes] | None:
        if self.log_dir is None:
            return None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._logs.append(open(self.log_dir / f"{name}.log", "ab"))  # noqa: SIM115 - closed in stop_all
        return self._logs[-1]
