"""`python -m prevent_assistant.console [--host H] [--port P]`: serve the console (as `make run` does);
the same as `prevent-assistant console`."""

import sys

from prevent_assistant.cli import main

if __name__ == "__main__":
    main(["console", *sys.argv[1:]])
