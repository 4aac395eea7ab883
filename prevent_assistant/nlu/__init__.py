"""Custom Rasa NLU components, listed by module path in config.yml. Each is thin glue: the logic lives in
plain modules of this package's parent (e.g. prevent_assistant.language) where it is tested without Rasa."""
