"""Intent, action, entity and event names that more than one module refers to: the Rasa server's pipeline
and tracker store, the action server's actions, the staff tools and the benchmark. One home, so a rename
cannot half-happen. (These modules import nothing heavy: the action server reads them without loading
Rasa.) Where Rasa or rasa-sdk defines the same name, tests/test_names.py checks the two still agree, so an
upgrade that renames one fails a test instead of silently splitting the project from Rasa.
"""

from __future__ import annotations

# --- Rasa's own names ----------------------------------------------------------------------------------
# The FallbackClassifier's intent for a message the model is unsure about
# (rasa.shared.constants.DEFAULT_NLU_FALLBACK_INTENT_NAME).
FALLBACK_INTENT = "nlu_fallback"
# Separates a retrieval intent from its topic: faq/training (rasa.shared.nlu.constants
# .RESPONSE_IDENTIFIER_DELIMITER).
RETRIEVAL_DELIMITER = "/"
# The `event` of a tracker event as the action server receives it, and `type_name` in the tracker store's
# events table (rasa.shared.core.events.UserUttered.type_name...; rasa_sdk.events builds the same dicts).
USER_EVENT = "user"
BOT_EVENT = "bot"
ACTION_EVENT = "action"

# --- The project's intents -----------------------------------------------------------------------------
# Set by the language identifier, answered by action_other_language.
OTHER_LANGUAGE_INTENT = "other_language"
# Immediate danger: 999 first, wherever the conversation is.
EMERGENCY_INTENT = "emergency"
# The person asks for a human: the clarifying question always offers it.
HANDOFF_INTENT = "request_human"
# The retrieval intent whose topics (faq/training, faq/signs...) each have their own answer.
FAQ_INTENT = "faq"
# A myth is declared by an intent myth_<name>; its answer is utter_myth_<name>.
MYTH_PREFIX = "myth_"

# --- Entities and slots --------------------------------------------------------------------------------
LANGUAGE_ENTITY = "language"
# The myth being discussed: picks the myth's clip from the clip catalogue.
MYTH_SLOT = "myth"

# --- The project's actions -----------------------------------------------------------------------------
# After this action runs, the tracker store forgets the conversation instead of saving it.
DELETE_CONVERSATION_ACTION = "action_delete_conversation"
# Records a handoff to the ACT Early Support Line; the review inbox counts conversations that ran it.
HANDOFF_ACTION = "action_handoff"
# Shows the person what the call handler would see and asks before anything is kept (the consent step).
OFFER_HANDOFF_ACTION = "action_offer_handoff"
