"""The `rasa run` command line a stack starts is one Rasa's own argument parser accepts, whatever the token.

CI once failed because a random token began with "-" and `rasa run` read it as an option; this parses the
command with Rasa's real parser rather than comparing strings.
"""

from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

from prevent_assistant.serve import PROJECT_ROOT, rasa_run_command


@pytest.mark.parametrize("token", ["plain-token", "-starts-with-a-dash", "--looks-like-an-option"])
def test_rasa_accepts_the_api_token_however_it_begins(token: str):
    credentials = PROJECT_ROOT / "credentials.yml"
    command = rasa_run_command("python", Path("m.tar.gz"), 5005, credentials, Path("endpoints.yml"), token)
    assert command[:4] == ["python", "-m", "prevent_assistant.rasa_server", "run"]
    arguments = create_argument_parser().parse_args(command[3:])
    assert arguments.auth_token == token
    assert arguments.port == 5005
    assert arguments.enable_api is True
