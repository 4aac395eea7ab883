"""The Models pages against real processes: a real Rasa stack, real consoles on the same database and
project copy, and a real training job (validate, train, conversation tests, held-out gate) in its own
process. An editor starts a job; a second start, from either console, is refused while it runs; it passes
with every step shown; Deploy makes the REST webhook give the changed answer; Roll back brings the previous
answer back. Broken data fails at its step and deploys nothing. A handler gets 403 on every page here. One
training in this file (about half a minute with Rasa's cache); the refusal itself is also tested at the
database, with concurrent attempts on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import requests
import yaml
from console_fixtures import Person, running_console, shown, signed_in
from sqlalchemy import update

from conftest import ROOT, migrated, start_stack
from prevent_assistant.db import accounts, session_scope, training
from prevent_assistant.db import audit as audit_log
from prevent_assistant.db.models import TrainingJob, utc_now

WORDS = yaml.safe_load((ROOT / "content" / "console-models.yml").read_text(encoding="utf-8"))
STEPS = ["validate", "train", "conversation_tests", "holdout_gate"]
CHANGED = (
    "This is the new answer about Channel, put in from the console for a test of deploying. Source: "
    "[westminster.gov.uk](https://westminster.gov.uk/prevent/safeguarding-vulnerable-individuals/channel-referral-process)"
)
QUESTION = "what is channel"
# A sentence someone types in the chat before the job: it must never reach the job's log.
PRIVATE = "my cousin Zebedee Quartermaine keeps sending me videos"
JOB_TIMEOUT = 900


def change_answer(project: Path) -> None:
    """The Channel answer changed in the copy's domain.yml, as an editor's approved change would."""
    domain = project / "domain.yml"
    text = domain.read_text(encoding="utf-8")
    marker = "  utter_what_is_channel:\n    - text: >-\n"
    start = text.index(marker) + len(marker)
    domain.write_text(
        text[:start] + f"        {CHANGED}\n" + text[text.index("\n\n", start) :], encoding="utf-8"
    )


def prepare(project: Path, api_token: str) -> None:
    """The copy as `make run` leaves a project: the model it serves at start, and the API token file."""
    (project / "models").mkdir(exist_ok=True)
    shutil.copyfile(ROOT / "models" / "prevent.tar.gz", project / "models" / "prevent.tar.gz")
    (project / "var").mkdir(exist_ok=True)
    (project / "var" / "api-token").write_text(api_token, encoding="utf-8")


def answer(webhook: str, message: str = QUESTION) -> str:
    reply = requests.post(webhook, json={"sender": uuid.uuid4().hex, "message": message}, timeout=120)
    assert reply.status_code == 200
    return str(reply.json()[0]["text"])


def job_id_from(location: str) -> int:
    return int(location.rstrip("/").split("?")[0].rsplit("/", 1)[1])


def start(person: Person) -> requests.Response:
    person.get("/models")
    return person.post("/models/jobs", {})


def wait_for(person: Person, job_id: int) -> tuple[dict, list[str]]:
    """Poll the job's progress as the page's script does, until it finishes; returns the last progress
    and the steps seen running, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        progress = person.http.get(
            f"{person.console.url}/models/jobs/{job_id}/progress", headers={"X-Console-Background": "1"}
        ).json()
        running = [step["key"] for step in progress["steps"] if step["state"] == "running"]
        if running and (not seen or seen[-1] != running[0]):
            seen.append(running[0])
        if progress["finished"]:
            return progress, seen
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish")


def actions(database: str, action: str) -> list[audit_log.AuditEntry]:
    return audit_log.entries(audit_log.AuditQuery(action=action), url=database)


def test_an_editor_trains_deploys_and_rolls_back(project_copy, tmp_path, monkeypatch):
    # Rasa's cache of the installed project: only what the changed answer touches is retrained.
    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(ROOT / ".rasa" / "cache"))
    database = migrated(f"sqlite:///{tmp_path / 'prevent.db'}")
    change_answer(project_copy)
    with start_stack(database) as stack:
        prepare(project_copy, stack.api_token)
        before = answer(stack.webhook_url)
        assert before != CHANGED
        answer(stack.webhook_url, PRIVATE)
        with (
            running_console(database, tmp_path, project=project_copy, rasa_url=stack.rasa_url) as one,
            running_console(database, tmp_path, project=project_copy, rasa_url=stack.rasa_url) as two,
        ):
            editor, other = signed_in(one, "editor"), signed_in(two, "admin")
            started = start(editor)
            assert started.status_code == 200 and "/models/jobs/" in started.url
            job_id = job_id_from(started.url)
            assert shown(WORDS["done"]["started"]) in started.text

            # One at a time, whichever console is asked.
            for person in (editor, other):
                refused = start(person)
                assert refused.status_code == 409
                assert shown(WORDS["refused"]["active"].format(id=job_id)) in refused.text
            assert len(training.recent_jobs(url=database)) == 1

            progress, seen = wait_for(editor, job_id)
            assert progress["status"] == "passed", progress["log"][-3000:]
            assert [step["state"] for step in progress["steps"]] == ["done"] * 4
            assert seen == [step for step in STEPS if step in seen]  # in order, none twice
            assert PRIVATE not in progress["log"] and "Zebedee" not in training.get_job(job_id, database).log
            page = editor.get(f"/models/jobs/{job_id}")
            for key in STEPS:
                assert f'{shown(WORDS["steps"][key])}: <span class="job-step__state">' in page.text
            assert shown(WORDS["job"]["deploy"]) in page.text
            model = training.get_job(job_id, database).model
            assert model and (project_copy / model).exists()

            deployed = editor.post(f"/models/jobs/{job_id}/deploy", {})
            assert deployed.status_code == 200 and shown(WORDS["done"]["deployed"]) in deployed.text
            assert answer(stack.webhook_url) == CHANGED
            # models/prevent.tar.gz (what `make run` starts with) is now the deployed model.
            assert (project_copy / "models" / "prevent.tar.gz").read_bytes() == (
                project_copy / model
            ).read_bytes()
            history = training.deployments(database)
            assert [row.model for row in history][-1] == model and history[-1].job_id == job_id
            assert history[0].job_id is None  # the model the server ran before, kept to roll back to
            assert (project_copy / history[0].model).exists()

            models = other.get("/models")
            assert shown(WORDS["models"]["roll_back"].format(model=history[0].model)) in models.text
            rolled = other.post("/models/roll-back", {})
            assert rolled.status_code == 200 and shown(WORDS["done"]["rolled_back"]) in rolled.text
            assert answer(stack.webhook_url) == before
            last = training.deployments(database)[-1]
            assert (last.model, last.rolled_back_from) == (history[0].model, history[-1].id)
            # Nothing earlier to return to now.
            assert (
                shown(WORDS["models"]["roll_back"].format(model=history[0].model))
                not in other.get("/models").text
            )

    deploys = actions(database, "model_deployed")
    assert [(e.account_name, e.subject, e.succeeded) for e in deploys] == [(editor.name, model, True)]
    rollbacks = actions(database, "model_rolled_back")
    assert [(e.account_name, e.succeeded) for e in rollbacks] == [(other.name, True)]
    starts = sorted((e.account_name, e.succeeded) for e in actions(database, "training_job_started"))
    assert starts == sorted([(editor.name, True), (editor.name, False), (other.name, False)])


def test_broken_data_fails_at_its_step_and_deploys_nothing(project_copy, tmp_path):
    (project_copy / "data" / "nlu" / "broken.yml").write_text(
        "nlu:\n- intent: not_in_the_domain\n  examples: |\n    - an example for an intent the domain lacks\n",
        encoding="utf-8",
    )
    database = migrated(f"sqlite:///{tmp_path / 'prevent.db'}")
    with running_console(database, tmp_path, project=project_copy) as console:
        editor = signed_in(console, "editor")
        job_id = job_id_from(start(editor).url)
        progress, _ = wait_for(editor, job_id)
        assert progress["status"] == "failed"
        assert [step["state"] for step in progress["steps"]] == ["failed", "waiting", "waiting", "waiting"]
        assert progress["reason"] == WORDS["failed_because"]["validate"]
        page = editor.get(f"/models/jobs/{job_id}")
        assert shown(WORDS["failed_because"]["validate"]) in page.text
        assert shown(WORDS["job"]["failed_at"].format(step=WORDS["steps"]["validate"])) in page.text
        assert "not_in_the_domain is not listed under intents in domain.yml" in page.text
        assert 'id="job-deploy" hidden' in page.text
        refused = editor.post(f"/models/jobs/{job_id}/deploy", {})
        assert refused.status_code == 409 and shown(WORDS["refused"]["not_passed"]) in refused.text
        # A failed job does not block the next one.
        assert start(editor).status_code == 200
    assert training.deployments(database) == []
    assert sorted(project_copy.glob("models/*.tar.gz")) == []
    assert [e.succeeded for e in actions(database, "model_deployed")] == [False]


def test_a_handler_gets_403_on_every_models_page(tmp_path):
    database = migrated(f"sqlite:///{tmp_path / 'prevent.db'}")
    with running_console(database, tmp_path) as console:
        account = accounts.create_account("editor-for-403", "editor", "not-a-real-hash", url=database)
        job = training.queue_job(account.id, timedelta(minutes=5), url=database)
        handler = signed_in(console, "handler")
        pages = ["/models", f"/models/jobs/{job.id}", f"/models/jobs/{job.id}/progress"]
        forms = ["/models/jobs", f"/models/jobs/{job.id}/deploy", "/models/roll-back"]
        for path in pages:
            assert handler.get(path).status_code == 403, path
        for path in forms:
            handler.get("/")  # a page of theirs, for the form's CSRF token
            assert handler.post(path, {}).status_code == 403, path
        assert 'href="/models"' not in handler.get("/").text
        anonymous = Person(console, "nobody")
        assert "/login" in anonymous.get("/models").url
    denied = [e.subject for e in actions(database, "access_denied")]
    assert sorted(denied) == sorted(pages + forms)
    assert len(training.recent_jobs(url=database)) == 1  # the handler's POST started nothing


def test_only_one_job_is_queued_however_many_ask_at_once(database):
    name = f"editor-{uuid.uuid4().hex[:6]}"
    account = accounts.create_account(name, "editor", "not-a-real-hash", url=database)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        try:
            training.queue_job(account.id, timedelta(minutes=5), url=database)
            outcomes.append("queued")
        except training.JobAlreadyActive:
            outcomes.append("refused")

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["queued"] + ["refused"] * 7
    assert [job.status for job in training.recent_jobs(url=database)] == ["queued"]


def test_a_job_whose_process_died_stops_blocking_new_ones(sqlite_url):
    account = accounts.create_account("editor-stalled", "editor", "not-a-real-hash", url=sqlite_url)
    stuck = training.queue_job(account.id, timedelta(minutes=5), url=sqlite_url)
    assert training.start_job(stuck.id, sqlite_url)
    training.report(stuck.id, step="train", log="Training...\n", url=sqlite_url)
    try:
        training.queue_job(account.id, timedelta(minutes=5), url=sqlite_url)
        raise AssertionError("a running job with a fresh heartbeat must block a new one")
    except training.JobAlreadyActive as active:
        assert active.job_id == stuck.id
    # Its process was killed: no heartbeat for longer than the limit. The next request marks it failed.
    with session_scope(sqlite_url) as session:
        session.execute(
            update(TrainingJob)
            .where(TrainingJob.id == stuck.id)
            .values(updated_at=utc_now() - timedelta(minutes=6))
        )
    fresh = training.queue_job(account.id, timedelta(minutes=5), url=sqlite_url)
    old = training.get_job(stuck.id, sqlite_url)
    assert (old.status, fresh.status) == ("failed", "queued")
    assert training.STALLED in old.log and old.finished_at is not None


def test_roll_back_walks_back_through_the_deployments():
    def row(id: int, model: str, rolled_back_from: int | None = None) -> training.DeploymentRow:
        return training.DeploymentRow(id, utc_now(), "ed", model, None, rolled_back_from)

    history = [row(1, "a"), row(2, "b"), row(3, "c")]
    assert [r.model for r in training.live_stack(history)] == ["a", "b", "c"]
    history.append(row(4, "b", rolled_back_from=3))
    assert [r.model for r in training.live_stack(history)] == ["a", "b"]
    history.append(row(5, "a", rolled_back_from=4))
    assert [r.model for r in training.live_stack(history)] == ["a"]
    history.append(row(6, "d"))
    assert [r.model for r in training.live_stack(history)] == ["a", "d"]


def test_old_job_models_are_deleted_but_never_a_live_one_or_a_roll_back_target(tmp_path, sqlite_url):
    from prevent_assistant.staff.jobs.runner import prune_models

    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "settings.yml").write_text("console:\n  models_kept: 2\n", encoding="utf-8")
    names = [f"prevent-2026120{day}T120000Z.tar.gz" for day in range(1, 7)]  # oldest first
    for name in [*names, "prevent.tar.gz", "hand-made.tar.gz"]:
        (project / "models" / name).write_bytes(b"model")
    account = accounts.create_account("editor-prune", "editor", "not-a-real-hash", url=sqlite_url)
    # Live: day 3, and Roll back would return to day 1.
    training.record_deployment(account.id, f"models/{names[0]}", url=sqlite_url)
    training.record_deployment(account.id, f"models/{names[2]}", url=sqlite_url)
    deleted = prune_models(project, sqlite_url)
    assert sorted(path.name for path in deleted) == [names[1], names[3]]
    kept = sorted(path.name for path in (project / "models").iterdir())
    assert kept == sorted([names[0], names[2], names[4], names[5], "prevent.tar.gz", "hand-made.tar.gz"])
