"""The Prevent assistant's own code around Rasa: everything except the custom actions (`actions/`).

Rasa loads parts of it by name from the project's files: the public channels (`channels/`) from
credentials.yml, the NLU components (`nlu/`) from config.yml, the redacting tracker store
(`tracker_store.py`, with `tracker_cache.py`) and the Redis lock store (`lock_store.py`) from the endpoints
files. The action server imports the plain modules it needs (`db/`, `redaction`, `settings`, `content`,
`names`), so they must not load Rasa. The rest serves people who work on the assistant: `serve` starts the
servers for `make run` and the tests, `cli` is the `prevent-assistant` command, and `staff/` holds what its
staff commands do. The map of modules is docs/architecture.md.
"""
