"""Experiment only (`python -m bench --cached-action-validation`): a fix for Rasa, tried from outside.

Rasa 3.6 checks every reply from the action server with `jsonschema.validate(result, schema)`. That call
first checks the schema itself against the JSON Schema metaschema, every time, and the events schema is
large: the profile put it at about a tenth of the Rasa server's CPU and 30 ms of each handoff turn. Here
the schema is checked once and one compiled validator is reused, with the same result for every reply.

Python imports `sitecustomize` from PYTHONPATH at start-up, so putting this folder on the Rasa server's
PYTHONPATH applies the change to that process only, with no edit to Rasa or the project. The project would
apply it from one of its own modules instead; see bench/PROFILE.md.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def _is_rasa_server() -> bool:
    return os.path.basename(sys.argv[0]) == "rasa" and sys.argv[1:2] == ["run"] and "actions" not in sys.argv


if _is_rasa_server():
    import rasa.core.actions.action as _action
    from jsonschema import ValidationError, validators

    _validator: Any = None

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        global _validator
        if _validator is None:
            schema = self.action_response_format_spec()
            validator_class = validators.validator_for(schema)
            validator_class.check_schema(schema)
            _validator = validator_class(schema)
        try:
            _validator.validate(result)
        except ValidationError as error:
            error.message += ". Failed to validate Action server response from API"
            raise
        return True

    _action.RemoteAction._validate_action_result = _validate_action_result
