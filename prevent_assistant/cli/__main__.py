"""`python -m prevent_assistant.cli`, the same as the installed `prevent-assistant`."""

from prevent_assistant.cli import main

main()
