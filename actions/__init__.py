"""Custom actions for the Prevent assistant, served by the rasa-sdk action server (`rasa run actions`).

Everything a person must always receive (myth answers, clips, phone numbers, 999) is a plain response in
domain.yml, so it still works when this server is down; actions only add what needs logic.
"""
