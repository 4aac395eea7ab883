"""Project code for the Prevent assistant that is not a Rasa custom action (tools, pipeline build)."""
