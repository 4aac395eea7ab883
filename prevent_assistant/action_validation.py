"""Rasa 3.6's check of every action-server reply, with the schema compiled once instead of on every reply.

`RemoteAction._validate_action_result` calls `jsonschema.validate(result, schema)`, which first checks the
large events schema against the JSON Schema metaschema, on every call: the profile put that at about a
sixth of the Rasa server's busy CPU (bench/PROFILE.md). Here the schema is checked once, one compiled
validator is kept, and every reply is validated against it exactly as before: an invalid reply is still
refused with Rasa's own ValidationError and message.

Checked against Rasa 3.6.21. Replacing a private method is only safe while it is the method we read, so
`install` refuses, loudly, at server start, when the Rasa version or the method's source differs: then
read the new method, and update or drop this module.
"""

from __future__ import annotations

import hashlib
import inspect
from functools import cache
from typing import Any

CHECKED_RASA_VERSION = "3.6.21"
# sha256 of inspect.getsource(RemoteAction._validate_action_result) in that version.
CHECKED_SOURCE_SHA256 = "f8cdb4be6812396167ced74161b2ccd65c5ea676ad86d7d359d8c322d9d8dc42"
_INSTALLED = "_prevent_assistant_compiled_validation"


class RasaChanged(RuntimeError):
    """Rasa is not the version whose reply check this module replaces."""


def install() -> None:
    """Replace RemoteAction's reply check in this process (idempotent; the Rasa server calls it at start)."""
    import rasa
    from rasa.core.actions.action import RemoteAction

    current = RemoteAction._validate_action_result
    if getattr(current, _INSTALLED, False):
        return
    source = hashlib.sha256(inspect.getsource(current).encode("utf-8")).hexdigest()
    if rasa.__version__ != CHECKED_RASA_VERSION or source != CHECKED_SOURCE_SHA256:
        raise RasaChanged(
            f"prevent_assistant.action_validation was written for Rasa {CHECKED_RASA_VERSION}'s "
            f"RemoteAction._validate_action_result; this is Rasa {rasa.__version__} and the method differs "
            "or has moved: read it, then update or remove this module"
        )
    setattr(_validate_action_result, _INSTALLED, True)
    RemoteAction._validate_action_result = _validate_action_result


@cache
def _validator() -> Any:
    """The compiled validator for Rasa's action response schema, checked against its metaschema once."""
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """Rasa's method, less the per-call schema check: same result, same error, same message."""
    from jsonschema import ValidationError
    from rasa.core.actions.action import DOCS_BASE_URL

    try:
        _validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
