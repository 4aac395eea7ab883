"""The call handlers' console: a separate internal web app for staff, with accounts, two-step sign-in,
roles and an audit trail (docs/console.md). `python -m prevent_assistant.console` serves it."""
