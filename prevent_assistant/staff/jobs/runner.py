"""One training job, step by step: validate -> train -> conversation tests -> held-out gate.

Run by `prevent-assistant jobs run ID`, the process the console starts for each job. The steps are those of
`prevent-assistant validate`, `train` and `test` (the same checks, the same Rasa command lines, the same
threshold from settings.yml), except that the model goes to a file of its own, models/prevent-<UTC>.tar.gz,
so that earlier models stay for a roll back. The step and the log go to the job's row as they happen; a
heartbeat every few seconds says the process is alive. The first failing step ends the job (failed), and
its model file is deleted: nothing from a failed job can be deployed.

The log holds the checks' and Rasa's own output about the training data, never a conversation: no step
reads the tracker store.
"""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from types import FrameType

from prevent_assistant import settings
from prevent_assistant.cli.content import rasa_command
from prevent_assistant.db import training
from prevent_assistant.paths import ProjectPaths
from prevent_assistant.staff.jobs import JOB_MODEL, new_model_name, period, setting

HEARTBEAT_SECONDS = 3.0
# Rasa's progress bars (tqdm) redraw one line many times: only the last drawing of each is kept.
PROGRESS = re.compile(r"\d+%\|")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Python's and SQLAlchemy's warnings about Rasa's own code say nothing to an editor reading the log.
QUIET = {"PYTHONWARNINGS": "ignore", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}


class StepFailed(Exception):
    """The step could not pass; the message (plain words) ends the log."""


class JobStopped(Exception):
    """The process was told to stop (the console stopped, Ctrl+C, a service manager)."""


class JobLog:
    """Lines for the job's log, sent to its row with a heartbeat every few seconds from a thread, which
    also stops the running command when the job has taken longer than `job_timeout`."""

    def __init__(self, job_id: int, deadline: float, url: str | None) -> None:
        self.job_id, self.deadline, self.url = job_id, deadline, url
        self.child: subprocess.Popen | None = None
        self.timed_out = False
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> JobLog:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def line(self, text: str) -> None:
        text = ANSI.sub("", text).rstrip()
        if not text.strip():
            return
        with self._lock:
            if PROGRESS.search(text) and self._lines and PROGRESS.search(self._lines[-1]):
                self._lines[-1] = text
            else:
                self._lines.append(text)

    def step(self, name: str) -> None:
        self.flush(step=name)

    def flush(self, step: str | None = None, keep_progress: bool = True) -> None:
        """Send the lines so far (a progress bar still being drawn stays for the next flush)."""
        with self._lock:
            lines, self._lines = self._lines, []
            if keep_progress and lines and PROGRESS.search(lines[-1]):
                self._lines = [lines.pop()]
        text = "".join(f"{line}\n" for line in lines)
        training.report(self.job_id, step=step, log=text, url=self.url)

    def take_rest(self) -> str:
        """What has not been sent yet, for the job's last write."""
        with self._lock:
            lines, self._lines = self._lines, []
        return "".join(f"{line}\n" for line in lines)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            if time.monotonic() > self.deadline and self.child is not None and self.child.poll() is None:
                self.timed_out = True
                self.child.terminate()
            try:
                self.flush()
            except Exception:  # a database hiccup: the next beat tries again
                continue

    def run(self, command: list[str], cwd: Path, show_output: bool = True) -> int:
        """Run `command`, its output into the log (unless `show_output` is False); returns its exit code."""
        output = subprocess.PIPE if show_output else subprocess.DEVNULL
        self.child = subprocess.Popen(
            command, cwd=cwd, env=QUIET | settings.rasa_environment(), stdin=subprocess.DEVNULL,
            stdout=output, stderr=subprocess.STDOUT, text=True, errors="replace",
        )  # fmt: skip
        try:
            if self.child.stdout is not None:
                for text in self.child.stdout:
                    self.line(text)
            code = self.child.wait()
        finally:
            if self.child.poll() is None:
                self.child.terminate()
                self.child.wait(timeout=30)
        if self.timed_out:
            raise StepFailed(
                "The job took longer than job_timeout in settings.yml allows, so it was stopped."
            )
        return code


def run_job(project: Path, job_id: int, url: str | None = None) -> bool:
    """Do job `job_id` on `project`; True when it passed. False at once if it is not queued."""
    if not training.start_job(job_id, url):
        return False
    files = ProjectPaths(project)
    name = new_model_name()
    model = files.models_dir / f"{name}.tar.gz"
    out = files.results_dir / "jobs" / str(job_id)
    deadline = time.monotonic() + period(project, "job_timeout").total_seconds()
    _stop_on_signals()
    passed = False
    with JobLog(job_id, deadline, url) as log:
        try:
            _validate(log, project)
            _train(log, project, files, name, model)
            training.report(job_id, model=str(model.relative_to(files.root)), url=url)
            _conversation_tests(log, project, files, model, out)
            _holdout_gate(log, project, files, model, out)
            log.line("Passed: this model can be deployed.")
            passed = True
        except StepFailed as failure:
            log.line(str(failure))
        except (JobStopped, KeyboardInterrupt):
            log.line("The job was stopped before it finished (the console or the server was stopped).")
        except Exception as error:  # never a traceback on the page: the type says where to look
            log.line(f"The job failed unexpectedly ({type(error).__name__}); see var/log/training-jobs.log.")
            raise
        finally:
            if not passed:
                model.unlink(missing_ok=True)
                training.forget_model(job_id, url)
            training.finish_job(job_id, passed, log.take_rest(), url)
    if passed:
        prune_models(project, url)
    return passed


def _stop_on_signals() -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise JobStopped()

    signal.signal(signal.SIGTERM, stop)


def _validate(log: JobLog, project: Path) -> None:
    from prevent_assistant.staff.validation import validate

    log.step("validate")
    problems = validate(project)
    for problem in problems:
        log.line(str(problem))
    if problems:
        raise StepFailed(
            f"{len(problems)} problem(s) found in the data (listed above). Fix them, then start a new job."
        )
    log.line("No problems found in the data.")


def _train(log: JobLog, project: Path, files: ProjectPaths, name: str, model: Path) -> None:
    log.step("train")
    command = rasa_command("train", "--fixed-model-name", name, "--out", str(files.models_dir))
    code = log.run(command, project)
    if code != 0 or not model.exists():
        raise StepFailed("Training did not finish; the lines above say why.")
    log.line(f"Model trained: {model.relative_to(files.root)}")


def _conversation_tests(log: JobLog, project: Path, files: ProjectPaths, model: Path, out: Path) -> None:
    """Rasa's end-to-end story tests, as `prevent-assistant test` runs them; their output (the test stories'
    turns) stays in the results folder, not the log."""
    log.step("conversation_tests")
    command = rasa_command(
        "test", "core", "--e2e", "--model", str(model), "--stories", str(files.test_stories),
        "--fail-on-prediction-errors", "--out", str(out / "stories"),
    )  # fmt: skip
    if log.run(command, project, show_output=False) != 0:
        where = (out / "stories").relative_to(files.root)
        raise StepFailed(
            f"Conversation tests FAILED: the new model answered a test conversation wrongly (see {where})."
        )
    log.line("Conversation tests passed.")


def _holdout_gate(log: JobLog, project: Path, files: ProjectPaths, model: Path, out: Path) -> None:
    """The held-out messages' intent macro-F1 against settings.yml `holdout_macro_f1_threshold`, with the
    report `prevent-assistant test` writes."""
    import asyncio
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    from prevent_assistant import evaluation
    from prevent_assistant.staff.report import markdown, write_confusion_matrix

    log.step("holdout_gate")
    configure_structlog(logging.WARNING)  # Rasa logs message text at debug level
    agent = Agent.load(str(model))
    result = asyncio.run(evaluation.evaluate(agent, evaluation.load_examples(files.nlu_holdout)))
    threshold = settings.holdout_macro_f1_threshold(project)
    out.mkdir(parents=True, exist_ok=True)
    picture = write_confusion_matrix(result, out / "confusion_matrix.png")
    (out / "report.md").write_text(markdown(result, threshold, picture), encoding="utf-8")
    macro = result.macro_f1(result.end_to_end)
    log.line(f"Held-out intent macro-F1: {macro:.3f} (threshold {threshold:.2f}).")
    if macro < threshold:
        report = (out / "report.md").relative_to(files.root)
        raise StepFailed(f"The held-out check FAILED: {macro:.3f} is below {threshold:.2f} (see {report}).")


def prune_models(project: Path, url: str | None = None) -> list[Path]:
    """Delete job models beyond the newest `models_kept`, never one a deployment or roll back may use;
    returns what was deleted."""
    from prevent_assistant.staff.jobs.deployments import protected_models

    files = ProjectPaths(project)
    keep = max(1, int(setting(project, "models_kept")))
    made = sorted((p for p in files.models_dir.glob("*.tar.gz") if JOB_MODEL.match(p.name)), reverse=True)
    protected = protected_models(url)
    deleted = [p for p in made[keep:] if str(p.relative_to(files.root)) not in protected]
    for path in deleted:
        path.unlink(missing_ok=True)
    gone = {str(p.relative_to(files.root)) for p in deleted}
    for job in training.jobs_with_models(url):
        if job.model in gone:
            training.forget_model(job.id, url)
    return deleted
