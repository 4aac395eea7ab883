"""Serve a model that needs no TensorFlow without loading TensorFlow.

Rasa's modules import TensorFlow at module level (the Rasa server reaches it through
`rasa.core.policies.policy` → `rasa.utils.train_utils` → `rasa.utils.tensorflow`), to define classes for
DIET and TED, even when the model being served uses neither. For this assistant's model (config.yml:
`TopicClassifier` and `RulePolicy`) that import is most of the server: measured on 2026-12-06, a Rasa
server held 731 MB with it (380 MB of them TensorFlow's library pages) and 228 MB without, and answered its
first message after 5.2 s against 2.8 s, with the same replies.

`install()` puts a placeholder in front of the real packages, for imports made by Rasa's own modules
only. A placeholder module hands out placeholder classes for any name, so Rasa's class definitions
(`class RasaModel(tf.keras.models.Model)`) still run; calling or instantiating one raises
`TensorFlowNotLoaded` at once, so any real use fails loudly rather than quietly. Every other importer
(spaCy's thinc, which redaction uses) is told TensorFlow is not installed and takes its own path without
it, as in the action server (`prevent_assistant/action_server.py`).

`needs_tensorflow(model)` decides, from the model's own metadata, whether the placeholder is safe: only when
every component of its prediction graph is on `WITHOUT_TENSORFLOW`, the components read and known not to
call TensorFlow. Any other model, or one that cannot be read, gets the real TensorFlow. A model swapped in
later through Rasa's HTTP API (the console's Deploy) loads into the same process: one that needs
TensorFlow fails there with `TensorFlowNotLoaded` in Rasa's error reply, the server keeps the model it had,
and a restart serves the new one with TensorFlow.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import sys
import tarfile
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

# The packages Rasa 3.6 imports at module level for its TensorFlow components.
PLACEHOLDER_PACKAGES = frozenset(
    {"tensorflow", "keras", "tensorflow_hub", "tensorflow_text", "tensorflow_addons"}
)
# Importers that get placeholders: Rasa itself (and the placeholders' own submodules).
PLACEHOLDER_IMPORTERS = ("rasa", *PLACEHOLDER_PACKAGES)
# Prediction-graph components checked, in Rasa 3.6.21, not to call TensorFlow when they predict.
WITHOUT_TENSORFLOW = frozenset(
    {
        "prevent_assistant.nlu.emergency_first.EmergencyFirst",
        "prevent_assistant.nlu.language_identifier.LanguageIdentifier",
        "prevent_assistant.nlu.topic_classifier.TopicClassifier",
        "rasa.core.policies.ensemble.DefaultPolicyPredictionEnsemble",
        "rasa.core.policies.memoization.AugmentedMemoizationPolicy",
        "rasa.core.policies.memoization.MemoizationPolicy",
        "rasa.core.policies.rule_policy.RulePolicy",
        "rasa.graph_components.converters.nlu_message_converter.NLUMessageConverter",
        "rasa.graph_components.providers.domain_provider.DomainProvider",
        "rasa.graph_components.providers.rule_only_provider.RuleOnlyDataProvider",
        "rasa.nlu.classifiers.fallback_classifier.FallbackClassifier",
        "rasa.nlu.classifiers.regex_message_handler.RegexMessageHandler",
    }
)
METADATA_FILE = "metadata.json"


class TensorFlowNotLoaded(RuntimeError):
    """Something called TensorFlow in a server started without it."""


class _PlaceholderType(type):
    """The type of placeholder classes: any attribute is another placeholder; calling one is refused."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _placeholder(f"{cls.__qualname__}.{name}")

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise TensorFlowNotLoaded(
            f"{cls.__qualname__} was called, but this Rasa server runs without TensorFlow because its model "
            "needs none (prevent_assistant/tensorflow_placeholder.py); start it again to serve this model"
        )


def _placeholder(name: str) -> type:
    return _PlaceholderType(name, (), {"__qualname__": name, "__module__": __name__})


class _PlaceholderModule(ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _placeholder(f"{self.__name__}.{name}")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Placeholders for Rasa's imports of TensorFlow's packages; "not installed" for anyone else's."""

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in PLACEHOLDER_PACKAGES:
            return None
        importer = _importer(sys._getframe(1))
        if importer.partition(".")[0] not in PLACEHOLDER_IMPORTERS:
            message = f"No module named {fullname!r} (left out of this server)"
            raise ModuleNotFoundError(message, name=fullname)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = _PlaceholderModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: a placeholder module has no code."""


def _importer(frame: FrameType | None) -> str:
    """The module whose code is importing: the first frame outside the import machinery (importlib's
    frozen bootstrap and `importlib.import_module`) and this file."""
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        machinery = frame.f_code.co_filename.startswith("<frozen") or name.partition(".")[0] == "importlib"
        if not machinery and name != __name__:
            return name
        frame = frame.f_back
    return ""


def install() -> None:
    """Put the placeholders in front of TensorFlow in this process, before anything imports Rasa.

    thinc (spaCy's machine-learning library, which redaction loads) tries `import tensorflow` once, when
    first imported, and would find Rasa's placeholder in `sys.modules` if Rasa got there first; so it is
    imported here first, while TensorFlow is marked absent, and records that it has none.
    """
    loaded = sorted(name for name in sys.modules if name.partition(".")[0] in PLACEHOLDER_PACKAGES)
    if loaded:
        raise RuntimeError(f"install() must run before TensorFlow is imported; already imported: {loaded[0]}")
    if any(isinstance(finder, _Finder) for finder in sys.meta_path):
        return
    sys.modules["tensorflow"] = None  # type: ignore[assignment]  # `import tensorflow` raises ImportError
    try:
        import thinc.compat  # noqa: F401
    finally:
        del sys.modules["tensorflow"]
    sys.meta_path.insert(0, _Finder())


def is_placeholder(module: object) -> bool:
    return isinstance(module, _PlaceholderModule)


def needs_tensorflow(model: Path) -> str | None:
    """Why this model must be served with TensorFlow, or None when every component it predicts with is
    known to run without it."""
    try:
        metadata = _metadata(model)
        nodes = metadata["predict_schema"]["nodes"].values()
        components = sorted({str(node["uses"]) for node in nodes})
    except (OSError, tarfile.TarError, KeyError, TypeError, AttributeError, ValueError) as error:
        return f"its metadata could not be read ({type(error).__name__})"
    unknown = [component for component in components if component not in WITHOUT_TENSORFLOW]
    return f"it uses {', '.join(unknown)}" if unknown else None


def _metadata(model: Path) -> dict[str, Any]:
    with tarfile.open(model, "r:gz") as archive:
        for member in archive:
            if member.isfile() and member.name.lstrip("/") == METADATA_FILE:
                extracted = archive.extractfile(member)
                if extracted is not None:
                    return dict(json.load(extracted))
    raise KeyError(METADATA_FILE)
