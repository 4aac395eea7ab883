"""The Rasa server runs without TensorFlow when its model needs none, and loads it when the model does.

Each in-process check runs in a fresh interpreter: placeholders must be installed before anything imports
Rasa, and this test process has imported the real TensorFlow already.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
import requests
from test_storage import PERSONAL, stored_rows

from conftest import LOG_DIR, start_stack
from prevent_assistant.rasa_server import model_argument, why_tensorflow
from prevent_assistant.tensorflow_placeholder import WITHOUT_TENSORFLOW, needs_tensorflow

TENSORFLOW_LIBRARY = "_pywrap_tensorflow_internal"


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def model_archive(path: Path, components: list[str]) -> Path:
    """A model archive holding only a metadata.json whose prediction graph uses `components`."""
    nodes = {f"node_{index}": {"uses": component} for index, component in enumerate(components)}
    data = json.dumps({"predict_schema": {"nodes": nodes}}).encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("metadata.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


def test_rasa_imports_placeholders_and_any_use_of_them_fails_loudly():
    output = run_python(
        """
import sys
from prevent_assistant import tensorflow_placeholder
tensorflow_placeholder.install()
import rasa.core.run, rasa.engine.recipes.default_components
from rasa.utils.tensorflow.models import RasaModel
import thinc.compat
print("placeholder", tensorflow_placeholder.is_placeholder(sys.modules["tensorflow"]))
print("real tensorflow", any(
    not tensorflow_placeholder.is_placeholder(module)
    for name, module in sys.modules.items()
    if name.partition(".")[0] in tensorflow_placeholder.PLACEHOLDER_PACKAGES
))
print("library mapped", "_pywrap_tensorflow_internal" in open("/proc/self/maps").read())
print("thinc sees tensorflow", thinc.compat.has_tensorflow)
try:
    RasaModel()
except tensorflow_placeholder.TensorFlowNotLoaded as error:
    print("refused", "start it again" in str(error))
try:
    import tensorflow.keras.layers
except ModuleNotFoundError:
    print("others told it is absent")
"""
    )
    assert output.splitlines() == [
        "placeholder True",
        "real tensorflow False",
        "library mapped False",
        "thinc sees tensorflow False",
        "refused True",
        "others told it is absent",
    ]


def test_install_refuses_once_tensorflow_is_imported():
    output = run_python(
        """
import tensorflow
from prevent_assistant import tensorflow_placeholder
try:
    tensorflow_placeholder.install()
except RuntimeError as error:
    print("refused:", error)
"""
    )
    assert output.startswith("refused: install() must run before TensorFlow is imported")


def test_this_projects_model_needs_no_tensorflow(trained_model: Path):
    assert needs_tensorflow(trained_model) is None
    assert why_tensorflow(["run", "--model", str(trained_model), "--port", "5005"]) is None


def test_a_model_with_a_tensorflow_component_gets_tensorflow(tmp_path):
    diet = "rasa.nlu.classifiers.diet_classifier.DIETClassifier"
    model = model_archive(tmp_path / "diet.tar.gz", [*sorted(WITHOUT_TENSORFLOW)[:3], diet])
    assert needs_tensorflow(model) == f"it uses {diet}"
    assert why_tensorflow(["run", "-m", str(model)]) == f"the model diet.tar.gz: it uses {diet}"


def test_an_unreadable_model_gets_tensorflow(tmp_path):
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not an archive")
    assert needs_tensorflow(broken) == "its metadata could not be read (ReadError)"
    no_metadata = tmp_path / "none.tar.gz"
    with tarfile.open(no_metadata, "w:gz"):
        pass
    assert needs_tensorflow(no_metadata) == "its metadata could not be read (KeyError)"


@pytest.mark.parametrize(
    "arguments",
    [["train"], ["run", "actions"], ["run"], ["run", "--model", "models/"], ["shell", "--model", "x.tar.gz"]],
)
def test_other_commands_keep_tensorflow(arguments: list[str]):
    assert model_argument(arguments) is None
    assert why_tensorflow(arguments) == "it is not `rasa run` with a --model file"


def test_a_stacks_rasa_server_runs_without_tensorflow_and_still_redacts(sqlite_url: str):
    log_file = LOG_DIR / "rasa.log"
    logged_before = log_file.stat().st_size if log_file.exists() else 0
    with start_stack(sqlite_url) as stack:
        maps = Path(f"/proc/{stack.processes.pid('rasa')}/maps").read_text()
        sender = uuid.uuid4().hex
        reply = requests.post(stack.webhook_url, json={"sender": sender, "message": PERSONAL}, timeout=30)
    assert "libpython" in maps or "python" in maps  # the map of the right, live process
    assert TENSORFLOW_LIBRARY not in maps
    assert reply.status_code == 200 and reply.json()
    stored = " ".join(stored_rows(sqlite_url, sender))
    assert "[name]" in stored and "Aisha" not in stored  # redacted by spaCy's tokenizer, not withheld
    log = log_file.read_text("utf-8", "replace")[logged_before:]
    assert "Rasa server is up and running" in log and "with TensorFlow" not in log
    assert "redaction failed" not in log
