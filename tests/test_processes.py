"""Starting a server process: one that dies at start fails at once and says why (its log's end)."""

import sys
from pathlib import Path

import pytest

from prevent_assistant.processes import ServerProcesses


def test_a_server_that_dies_at_start_fails_at_once_with_the_end_of_its_log(tmp_path: Path):
    processes = ServerProcesses(cwd=tmp_path, log_dir=tmp_path / "logs", timeout=60)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "broken.log").write_text("an earlier run's line\n", encoding="utf-8")
    command = [sys.executable, "-c", "import sys; print('cannot read settings.yml', flush=True); sys.exit(2)"]
    try:
        with pytest.raises(RuntimeError) as failure:
            processes.start("broken", command, "http://127.0.0.1:9/", env={})
    finally:
        processes.stop_all()
    assert "exited with status 2" in str(failure.value)
    assert "cannot read settings.yml" in str(failure.value)
    assert "an earlier run's line" not in str(failure.value)
