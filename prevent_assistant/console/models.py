"""The Models pages, for editors and admins: start a training job, watch it, deploy its model, roll back.

A job runs in a process of its own, `prevent-assistant --project P jobs run ID`, started here without
waiting for it (staff/jobs/__init__.py says why); whether a job may start is decided in the database
(db/training.py), so two console instances never run two at once. The job's page refreshes itself with
static/models-job.js, which fetches `/models/jobs/<id>/progress` with the background header the handoff
queue uses, so the polling is not the person being active. Starting, deploying and rolling back are audited,
refused attempts too. Handlers get 403 on every page here (`require_role`).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.console.handoffs import BACKGROUND_HEADER
from prevent_assistant.console.web import (
    CONTENT_SECURITY_POLICY,
    audit,
    redirect,
    render,
    require_role,
    signed_in,
)
from prevent_assistant.content import load_content
from prevent_assistant.db import accounts, training
from prevent_assistant.db.console_sessions import as_utc
from prevent_assistant.db.models import ACTIVE_JOB_STATUSES, TrainingJob
from prevent_assistant.paths import ProjectPaths
from prevent_assistant.staff.jobs import STEPS, period
from prevent_assistant.staff.jobs.deployments import DeployRefused, deploy_job, live, roll_back

models_pages = Blueprint("console_models")
EDITORS = ("editor", "admin")
UK = ZoneInfo("Europe/London")
# The job page's script fetches the job's progress from the console itself.
JOB_POLICY = CONTENT_SECURITY_POLICY + "; connect-src 'self'"
# The end of the log a page shows (the whole log is kept in the job's row, up to db/training.LOG_LIMIT).
LOG_LINES = 120
# One swap at a time from this console: two swaps at once would leave the server on whichever came last.
_swapping: dict[str, asyncio.Lock] = {}
_children: set[asyncio.subprocess.Process] = set()


def wording() -> dict[str, Any]:
    """content/console-models.yml, read for every page so an edit shows without a restart."""
    return load_content("console-models")


def project_of(request: Request) -> Path:
    return Path(request.app.ctx.project)


def account_id(request: Request) -> int:
    session = signed_in(request)
    assert session is not None  # require_role
    return int(session.account.id)


def uk_time(moment: datetime | None, text: dict[str, Any]) -> str:
    if moment is None:
        return ""
    local = as_utc(moment).astimezone(UK)
    return local.strftime(text["time_format"].replace("{day}", str(local.day)))


def names() -> dict[int, str]:
    return {int(account.id): str(account.name) for account in accounts.list_accounts()}


# --- Pages ---------------------------------------------------------------------------------------------
@models_pages.get("/models")
@require_role(*EDITORS)
async def models_page(request: Request) -> HTTPResponse:
    done = request.args.get("done")
    return _models_page(request, notice=wording()["done"].get(done) if done else None)


@models_pages.post("/models/jobs")
@require_role(*EDITORS)
async def start_job(request: Request) -> HTTPResponse:
    """Queue a job (refused while one is queued or running) and start its process."""
    text = wording()["refused"]
    project = project_of(request)
    stalled = period(project, "job_stalled_after")
    try:
        job = await asyncio.to_thread(training.queue_job, account_id(request), stalled)
    except training.JobAlreadyActive as active:
        audit(request, "training_job_started", None, succeeded=False)
        reason = text["active"].format(id=active.job_id) if active.job_id else text["active_unknown"]
        return _models_page(request, error=reason, code=409)
    try:
        await _start_process(project, int(job.id))
    except OSError:
        await asyncio.to_thread(
            training.finish_job, int(job.id), False, "The job's process could not start.\n"
        )
        audit(request, "training_job_started", f"job {job.id}", succeeded=False)
        return _models_page(request, error=text["could_not_start"], code=500)
    audit(request, "training_job_started", f"job {job.id}")
    return redirect(f"/models/jobs/{job.id}?done=started")


@models_pages.get("/models/jobs/<job_id:int>")
@require_role(*EDITORS)
async def job_page(request: Request, job_id: int) -> HTTPResponse:
    job = training.get_job(job_id)
    if job is None:
        return _not_found(request)
    done = request.args.get("done")
    return _job_page(request, job, notice=wording()["done"].get(done) if done else None)


@models_pages.get("/models/jobs/<job_id:int>/progress")
@require_role(*EDITORS)
async def job_progress(request: Request, job_id: int) -> HTTPResponse:
    """The job's state for the page's script: what the page would show, as JSON."""
    job = training.get_job(job_id)
    if job is None:
        return response.json({"error": "not found"}, status=404)
    return response.json(_progress(job, wording(), live(None).current))


@models_pages.post("/models/jobs/<job_id:int>/deploy")
@require_role(*EDITORS)
async def deploy(request: Request, job_id: int) -> HTTPResponse:
    job = training.get_job(job_id)
    if job is None:
        return _not_found(request)
    try:
        async with _lock():
            await asyncio.to_thread(deploy_job, project_of(request), job_id, account_id(request))
    except DeployRefused as refused:
        audit(request, "model_deployed", job.model or f"job {job_id}", succeeded=False)
        return _job_page(request, job, error=_reason(refused), code=_status(refused))
    audit(request, "model_deployed", job.model)
    return redirect(f"/models/jobs/{job_id}?done=deployed")


@models_pages.post("/models/roll-back")
@require_role(*EDITORS)
async def roll_back_page(request: Request) -> HTTPResponse:
    """Put the previous deployment's model back. `job` (optional): the job page to return to."""
    back = str((request.form or {}).get("job") or "")
    back_to = f"/models/jobs/{back}" if back.isdigit() else "/models"
    try:
        async with _lock():
            await asyncio.to_thread(roll_back, project_of(request), account_id(request))
    except DeployRefused as refused:
        audit(request, "model_rolled_back", None, succeeded=False)
        return _models_page(request, error=_reason(refused), code=_status(refused))
    now_live = live(None).current
    audit(request, "model_rolled_back", now_live.model if now_live else None)
    return redirect(f"{back_to}?done=rolled_back")


# --- The job's process ---------------------------------------------------------------------------------
async def _start_process(project: Path, job_id: int) -> None:
    """`prevent-assistant jobs run ID` on this console's project, with its environment (DATABASE_URL,
    CONSOLE_SETTINGS); its own output (never a conversation) goes to var/log/training-jobs.log. Reaped by a
    task, so it never becomes a zombie, and never awaited by the request."""
    files = ProjectPaths(project)
    files.log_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "prevent_assistant.cli",
        "--project",
        str(project),
        "jobs",
        "run",
        str(job_id),
    ]
    with open(files.log_dir / "training-jobs.log", "ab") as log:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=str(project), env=dict(os.environ), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    _children.add(process)
    asyncio.get_running_loop().create_task(_reap(process))


async def _reap(process: asyncio.subprocess.Process) -> None:
    await process.wait()
    _children.discard(process)


@models_pages.listener("before_server_stop")
async def stop_jobs(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
    """A console that stops takes its running job with it: the job marks itself failed ("stopped")."""
    for process in list(_children):
        if process.returncode is None:
            process.terminate()
    for process in list(_children):
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        except asyncio.TimeoutError:
            process.kill()


def _lock() -> asyncio.Lock:
    return _swapping.setdefault("swap", asyncio.Lock())


# --- Rendering -----------------------------------------------------------------------------------------
def _reason(refused: DeployRefused) -> str:
    return str(wording()["refused"][refused.reason]).format(detail=refused.detail.rstrip("."))


def _status(refused: DeployRefused) -> int:
    return 502 if refused.reason == "server" else 409


def _not_found(request: Request) -> HTTPResponse:
    words = wording()["job"]
    return render(request, "error.html", 404, title=words["not_found_title"], reason=words["not_found"])


def _step_states(job: TrainingJob) -> list[str]:
    """done / running / failed / waiting for each step, from the job's status and the step it reached."""
    reached = STEPS.index(job.step) if job.step in STEPS else -1
    states = []
    for index, _ in enumerate(STEPS):
        if job.status == "passed" or index < reached:
            states.append("done")
        elif index == reached:
            states.append({"running": "running", "failed": "failed"}.get(job.status, "waiting"))
        else:
            states.append("waiting")
    return states


def _progress(job: TrainingJob, text: dict[str, Any], current: Any) -> dict[str, Any]:
    status = text["statuses"][job.status]
    step = text["steps"].get(job.step or "", "")
    finished = job.status not in ACTIVE_JOB_STATUSES
    now = text["job"]["now"].format(status=status, step=step) if step and not finished else None
    reason = None
    if job.status == "failed":
        reason = text["failed_because"].get(job.step or "none", text["failed_because"]["none"])
        now = (
            text["job"]["failed_at"].format(step=step)
            if step
            else text["job"]["now_finished"].format(status=status)
        )
    return {
        "status": job.status,
        "finished": finished,
        "now": now or text["job"]["now_finished"].format(status=status),
        "reason": reason,
        "steps": [
            {
                "key": key,
                "label": text["steps"][key],
                "state": state,
                "state_label": text["step_states"][state],
            }
            for key, state in zip(STEPS, _step_states(job), strict=True)
        ],
        "log": "\n".join((job.log or "").splitlines()[-LOG_LINES:]),
        "deployable": job.status == "passed" and bool(job.model),
        "is_live": current is not None and bool(job.model) and current.model == job.model,
    }


def _job_page(
    request: Request, job: TrainingJob, notice: str | None = None, error: str | None = None, code: int = 200
) -> HTTPResponse:
    text = wording()
    state = live(None)
    answer = render(
        request,
        "model_job.html",
        code,
        title=text["job"]["title"].format(id=job.id),
        m=text,
        job=job,
        progress=_progress(job, text, state.current),
        started_by=names().get(int(job.account_id), ""),
        created=uk_time(job.created_at, text),
        finished=uk_time(job.finished_at, text),
        can_roll_back=state.previous is not None,
        previous=state.previous,
        refresh_seconds=max(2, int(period(project_of(request), "job_refresh").total_seconds())),
        background_header=BACKGROUND_HEADER,
        notice=notice,
        error=error,
    )
    answer.headers["Content-Security-Policy"] = JOB_POLICY
    return answer


def _models_page(
    request: Request, notice: str | None = None, error: str | None = None, code: int = 200
) -> HTTPResponse:
    text = wording()
    state = live(None)
    who = names()
    jobs = [
        {
            "id": job.id,
            "created": uk_time(job.created_at, text),
            "by": who.get(int(job.account_id), ""),
            "status": text["statuses"][job.status],
            "step": text["steps"].get(job.step or "", text["models"]["nobody"]),
            "model": job.model or text["models"]["nobody"],
        }
        for job in training.recent_jobs(10)
    ]
    first_id = state.history[-1].id if state.history else None
    history = [
        {
            "when": uk_time(row.at, text),
            "who": row.account_name or text["models"]["nobody"],
            "what": (
                text["models"]["rolled_back"]
                if row.rolled_back_from
                else text["models"]["deployed_job"].format(job=row.job_id)
                if row.job_id
                else text["models"]["first_model"]
            ),
            "model": row.model,
        }
        for row in state.history
    ]
    current = state.current
    if current is None:
        live_text = text["models"]["live_none"]
    else:
        key = "live_first" if current.id == first_id and not current.job_id else "live"
        live_text = text["models"][key].format(
            model=current.model, who=current.account_name or "", when=uk_time(current.at, text)
        )
    return render(
        request,
        "models.html",
        code,
        title=text["models"]["title"],
        m=text,
        jobs=jobs,
        history=history,
        live_text=live_text,
        previous=state.previous,
        notice=notice,
        error=error,
    )
