"""Intent, action and entity names that more than one process refers to: the Rasa server's pipeline and
tracker store, the action server's actions, and the staff tools. One home, so a rename cannot half-happen.
(These modules import nothing heavy: the action server reads them without loading Rasa.)"""

from __future__ import annotations

# Set by the language identifier, answered by action_other_language.
OTHER_LANGUAGE_INTENT = "other_language"
LANGUAGE_ENTITY = "language"
# After this action runs, the tracker store forgets the conversation instead of saving it.
DELETE_CONVERSATION_ACTION = "action_delete_conversation"
# Immediate danger: 999 first, wherever the conversation is.
EMERGENCY_INTENT = "emergency"
