"""Helpers for the console's tests: a real console process, accounts made with the real CLI, and a browser-
less client that signs in as a person would (password, then a TOTP code computed with pyotp)."""

from __future__ import annotations

import html
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import requests
import yaml
from click.testing import CliRunner
from markupsafe import escape

from conftest import LOG_DIR, ROOT, free_port
from prevent_assistant.cli import main
from prevent_assistant.console.config import CONSOLE_SETTINGS_VARIABLE
from prevent_assistant.processes import ServerProcesses
from prevent_assistant.settings import DATABASE_URL_VARIABLE, rasa_environment

PASSWORD = "a long and unusual passphrase"
WORDING = yaml.safe_load((ROOT / "content" / "console.yml").read_text(encoding="utf-8"))
_HIDDEN = re.compile(r'name="(csrf_token|next)" value="([^"]*)"')


@dataclass
class Console:
    url: str
    database: str
    processes: ServerProcesses


@contextmanager
def running_console(
    database: str, directory: Path, project: Path = ROOT, **settings: Any
) -> Iterator[Console]:
    """The console as `make run` starts it (python -m prevent_assistant.console), on a free port, with
    `settings` overriding settings.yml's console section through CONSOLE_SETTINGS. SANIC_PROXIES_COUNT=1
    lets a test say which address (X-Forwarded-For) and scheme (X-Forwarded-Proto) a request came from."""
    override = directory / f"console-settings-{uuid.uuid4().hex[:6]}.yml"
    override.write_text(yaml.safe_dump({"console": settings}), encoding="utf-8")
    port = free_port()
    env = {
        **rasa_environment(),
        DATABASE_URL_VARIABLE: database,
        CONSOLE_SETTINGS_VARIABLE: str(override),
        "SANIC_PROXIES_COUNT": "1",
    }
    # The console works on the project in its current folder (`prevent-assistant --project` defaults to it).
    processes = ServerProcesses(cwd=project, log_dir=LOG_DIR, timeout=60)
    command = [sys.executable, "-m", "prevent_assistant.console", "--port", str(port)]
    try:
        processes.start("console", command, f"http://127.0.0.1:{port}/health", env)
        yield Console(f"http://127.0.0.1:{port}", database, processes)
    finally:
        processes.stop_all()


def add_account(database: str, role: str, name: str | None = None, password: str = PASSWORD) -> str:
    """An account made with `users add --password-stdin`; returns its name."""
    name = name or f"{role}-{uuid.uuid4().hex[:8]}"
    result = CliRunner().invoke(
        main,
        ["users", "add", name, "--role", role, "--password-stdin"],
        input=password + "\n",
        env={DATABASE_URL_VARIABLE: database},
    )
    assert result.exit_code == 0, result.output
    return name


def shown(text: str) -> str:
    """Wording as it appears in a page's HTML (escaped)."""
    return str(escape(text))


def hidden_fields(page: str) -> dict[str, str]:
    return {key: html.unescape(value) for key, value in _HIDDEN.findall(page)}


@dataclass
class Person:
    """One browser: its own cookies, the forms' hidden fields as last seen, its account's TOTP secret."""

    console: Console
    name: str
    password: str = PASSWORD
    http: requests.Session = field(default_factory=requests.Session)
    secret: str | None = None
    recovery_codes: list[str] = field(default_factory=list)
    last_page: str = ""
    address: str | None = None
    last_step: int = 0

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        answer = self.http.get(self.console.url + path, headers=self._headers(), timeout=30, **kwargs)
        self.last_page = answer.text
        return answer

    def post(self, path: str, data: dict[str, str], csrf: bool = True, **kwargs: Any) -> requests.Response:
        """A form on the page last seen: its hidden fields (the CSRF token, `next`) are sent too, unless
        `csrf` is False (then only `data`)."""
        form = {**hidden_fields(self.last_page), **data} if csrf else dict(data)
        answer = self.http.post(
            self.console.url + path, data=form, headers=self._headers(), timeout=30, **kwargs
        )
        self.last_page = answer.text
        return answer

    def _headers(self) -> dict[str, str]:
        return {"X-Forwarded-For": self.address} if self.address else {}

    def submit_password(self, password: str | None = None, name: str | None = None) -> requests.Response:
        self.get("/login")
        return self.post("/login", {"name": name or self.name, "password": password or self.password})

    def enrol(self) -> requests.Response:
        """On the enrolment page: read the setup key as a person would type it, confirm with a code."""
        page = self.last_page if 'action="/login/enrol"' in self.last_page else self.get("/login/enrol").text
        self.secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
        self.last_step = int(time.time()) // 30
        answer = self.post("/login/enrol", {"code": pyotp.TOTP(self.secret).at(self.last_step * 30)})
        self.recovery_codes = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", answer.text)
        return answer

    def sign_in(self) -> requests.Response:
        """Password, then enrolment (the first time) or a code not used before."""
        answer = self.submit_password()
        if answer.url.endswith("/login/enrol"):
            return self.enrol()
        return self.post("/login/code", {"code": self.next_code()})

    def next_code(self) -> str:
        """A code the console has not seen from this account: each is accepted once (replay protection),
        and one step either side of now is accepted, so take the earliest step from now on not yet used."""
        now = int(time.time()) // 30
        step = max(now, self.last_step + 1)
        assert step <= now + 1, "no unused TOTP step left in this 90-second window"
        self.last_step = step
        return pyotp.TOTP(self.secret).at(step * 30)


def signed_in(console: Console, role: str) -> Person:
    person = Person(console, add_account(console.database, role))
    assert person.sign_in().status_code == 200
    assert person.get("/").status_code == 200  # as a person carries on from the recovery codes page
    return person
