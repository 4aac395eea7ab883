"""`python -m prevent_assistant.action_server`: rasa-sdk's action server, without TensorFlow.

Redaction tokenises with spaCy, and spaCy's thinc imports TensorFlow whenever it is installed (Rasa itself
needs it installed). The action server never calls TensorFlow, yet that import alone took it from about
110 MB to about 580 MB of memory and added three seconds to its start (measured in-process, `bench/README.md`
has the stack's figures). Marking TensorFlow absent before anything imports it sends thinc down its own
"TensorFlow is not installed" path; any other import of TensorFlow in this process fails loudly.

The arguments are rasa-sdk's own (`python -m rasa_sdk --help`), so this is a drop-in for
`rasa run actions`, which also loads the whole of Rasa, and TensorFlow with it, only to start rasa-sdk.
"""

from __future__ import annotations

import sys


def main() -> None:
    sys.modules["tensorflow"] = None  # type: ignore[assignment]  # `import tensorflow` now raises ImportError
    from rasa_sdk.__main__ import main as run_action_server

    run_action_server()


if __name__ == "__main__":
    main()
