"""Training jobs and deployments started from the console: the rows behind the /models pages.

One job at a time, decided here in the database so that every console instance sees the same answer:
`queue_job` refuses (JobAlreadyActive) while a job is queued or running, in the same transaction as the
insert, and a partial unique index catches the race two instances could still run into. A job whose
process died (no heartbeat for `stalled_after`) is marked failed first, so it cannot block every later job.
The live model is worked out from the deployment history (`live_stack`): a deployment goes on top; a roll
back takes the top one off and puts the one under it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from prevent_assistant.db import session_scope
from prevent_assistant.db.models import ACTIVE_JOB_STATUSES, Account, Deployment, TrainingJob, utc_now

# The log a job keeps: its end (where a failure shows) is what matters; the beginning is dropped past this.
LOG_LIMIT = 60_000
STALLED = "The job stopped reporting progress (its process ended or was stopped), so it was marked failed."


class JobAlreadyActive(Exception):
    """A job is queued or running already; `job_id` is that job (None when the database said so)."""

    def __init__(self, job_id: int | None) -> None:
        super().__init__("a training job is already queued or running")
        self.job_id = job_id


def _clip(log: str) -> str:
    return log if len(log) <= LOG_LIMIT else log[-LOG_LIMIT:]


def _fail_stalled(session, stalled_after: timedelta) -> None:
    """Unfinished jobs whose heartbeat is older than `stalled_after` become failed, saying why."""
    cutoff = utc_now() - stalled_after
    stalled = session.scalars(
        select(TrainingJob).where(
            TrainingJob.status.in_(ACTIVE_JOB_STATUSES), TrainingJob.updated_at < cutoff
        )
    )
    for job in stalled:
        job.status, job.finished_at = "failed", utc_now()
        job.log = _clip(f"{job.log}{STALLED}\n")
    session.flush()


def queue_job(account_id: int, stalled_after: timedelta, url: str | None = None) -> TrainingJob:
    """A new queued job for `account_id`, unless one is queued or running (JobAlreadyActive)."""
    try:
        with session_scope(url) as session:
            _fail_stalled(session, stalled_after)
            active = session.scalar(
                select(TrainingJob.id).where(TrainingJob.status.in_(ACTIVE_JOB_STATUSES)).limit(1)
            )
            if active is not None:
                raise JobAlreadyActive(active)
            now = utc_now()
            job = TrainingJob(account_id=account_id, status="queued", created_at=now, updated_at=now, log="")
            session.add(job)
            session.flush()
            return job
    except IntegrityError:  # another instance queued one between our check and our insert
        raise JobAlreadyActive(None) from None


def start_job(job_id: int, url: str | None = None) -> bool:
    """Queued -> running; False if the job is not queued (already run, or marked failed meanwhile)."""
    now = utc_now()
    with session_scope(url) as session:
        changed = session.execute(
            update(TrainingJob)
            .where(TrainingJob.id == job_id, TrainingJob.status == "queued")
            .values(status="running", started_at=now, updated_at=now)
        ).rowcount
    return bool(changed)


def report(
    job_id: int, step: str | None = None, log: str = "", model: str | None = None, url: str | None = None
) -> None:
    """The job's progress: its step (when given), more log, the model file it is making; and a heartbeat."""
    with session_scope(url) as session:
        job = session.get(TrainingJob, job_id)
        if job is None:
            return
        if step is not None:
            job.step = step
        if model is not None:
            job.model = model
        if log:
            job.log = _clip(job.log + log)
        job.updated_at = utc_now()


def finish_job(job_id: int, passed: bool, log: str = "", url: str | None = None) -> None:
    """Passed or failed, with the last of its log. A job already marked failed (stalled) stays so."""
    with session_scope(url) as session:
        job = session.get(TrainingJob, job_id)
        if job is None or job.status not in ACTIVE_JOB_STATUSES:
            return
        job.status = "passed" if passed else "failed"
        job.finished_at = job.updated_at = utc_now()
        job.log = _clip(job.log + log)


def forget_model(job_id: int, url: str | None = None) -> None:
    """The job's model file was deleted (a failed job's, or pruned): it can no longer be deployed."""
    with session_scope(url) as session:
        session.execute(update(TrainingJob).where(TrainingJob.id == job_id).values(model=None))


def get_job(job_id: int, url: str | None = None) -> TrainingJob | None:
    with session_scope(url) as session:
        return session.get(TrainingJob, job_id)


def recent_jobs(limit: int = 10, url: str | None = None) -> list[TrainingJob]:
    with session_scope(url) as session:
        return list(session.scalars(select(TrainingJob).order_by(TrainingJob.id.desc()).limit(limit)))


def jobs_with_models(url: str | None = None) -> list[TrainingJob]:
    """Jobs whose model file is still kept, newest first (what pruning looks at)."""
    with session_scope(url) as session:
        statement = select(TrainingJob).where(TrainingJob.model.is_not(None)).order_by(TrainingJob.id.desc())
        return list(session.scalars(statement))


# --- Deployments ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeploymentRow:
    """A deployment with the name of who made it (the account may since have been renamed or disabled)."""

    id: int
    at: datetime
    account_name: str | None
    model: str
    job_id: int | None
    rolled_back_from: int | None


def deployments(url: str | None = None) -> list[DeploymentRow]:
    """Every deployment, oldest first."""
    with session_scope(url) as session:
        rows = session.execute(
            select(Deployment, Account.name)
            .join(Account, Account.id == Deployment.account_id, isouter=True)
            .order_by(Deployment.id)
        ).all()
        return [DeploymentRow(d.id, d.at, name, d.model, d.job_id, d.rolled_back_from) for d, name in rows]


def live_stack(history: list[DeploymentRow]) -> list[DeploymentRow]:
    """The deployments a roll back can return to, the live one last: each deployment goes on top; a roll
    back takes off the one it rolled back from and stands in for the one under it (same model)."""
    stack: list[DeploymentRow] = []
    for row in history:
        if row.rolled_back_from is not None:
            if stack and stack[-1].id == row.rolled_back_from:
                stack.pop()
            if stack and stack[-1].model == row.model:
                stack.pop()
        stack.append(row)
    return stack


def record_deployment(
    account_id: int,
    model: str,
    job_id: int | None = None,
    rolled_back_from: int | None = None,
    first_model: str | None = None,
    url: str | None = None,
) -> int:
    """A deployment (or roll back) that happened; returns its id. `first_model`: on the very first
    deployment, the model the server ran before it (kept so there is something to roll back to), recorded
    just before it as a deployment of no job."""
    with session_scope(url) as session:
        if first_model is not None and session.scalar(select(Deployment.id).limit(1)) is None:
            session.add(Deployment(at=utc_now(), account_id=account_id, model=first_model))
            session.flush()
        row = Deployment(
            at=utc_now(), account_id=account_id, model=model, job_id=job_id, rolled_back_from=rolled_back_from
        )
        session.add(row)
        session.flush()
        return int(row.id)
