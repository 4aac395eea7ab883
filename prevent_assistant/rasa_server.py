"""`python -m prevent_assistant.rasa_server run ...`: Rasa's own command line, with TensorFlow left out when
the model needs none.

The arguments are `rasa`'s (`rasa run --help`), so this is a drop-in for the `rasa` command. For `run` with
a `--model` file whose components all predict without TensorFlow (`tensorflow_placeholder.needs_tensorflow`),
Rasa's imports of TensorFlow get placeholders (`tensorflow_placeholder.install`): the server then starts in
about half the time and in about a third of the memory. Anything else is plain Rasa, TensorFlow included,
and the log says why.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from prevent_assistant import tensorflow_placeholder


def model_argument(arguments: Sequence[str]) -> Path | None:
    """The `--model` of a `rasa run` command line (not `rasa run actions`), if it names a file."""
    if list(arguments[:1]) != ["run"] or list(arguments[1:2]) == ["actions"]:
        return None
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-m", "--model")
    known, _ = parser.parse_known_args(arguments[1:])
    return Path(known.model) if known.model and Path(known.model).is_file() else None


def why_tensorflow(arguments: Sequence[str]) -> str | None:
    """Why this command needs the real TensorFlow, or None when the placeholder will do."""
    model = model_argument(arguments)
    if model is None:
        return "it is not `rasa run` with a --model file"
    reason = tensorflow_placeholder.needs_tensorflow(model)
    return f"the model {model.name}: {reason}" if reason else None


def main(arguments: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if arguments is None else arguments)
    reason = why_tensorflow(arguments)
    if reason is None:
        tensorflow_placeholder.install()
    from rasa.__main__ import main as rasa_main  # after install(): Rasa imports TensorFlow as it loads

    if reason is not None and model_argument(arguments) is not None:  # a server: say what it costs
        print(f"Rasa server with TensorFlow, because {reason}", file=sys.stderr)
    sys.argv = ["rasa", *arguments]
    rasa_main()


if __name__ == "__main__":
    main()
