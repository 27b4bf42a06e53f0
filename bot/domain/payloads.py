"""Every payload the bot's buttons and quick replies carry, each kind declared once (bot/messenger/payloads.py):
the button is built from it (`VOTE.build(poll=12, option=3)`) wherever a message offers it, a handler in
the domain's messages (a poll's ballot) or in handlers/, and parsed from it by the handler that takes the tap
(`PayloadHandler(VOTE, cast)`, then `ctx.match.poll`). Forms make their own kinds (bot/forms.py: "REG:..."); the
Page's Get Started button is the platform's (bot/messenger/payloads.py, GET_STARTED).

A field that validates what the handler must answer politely (an id from an old button) is kept as text or
parsed to None, and the handler says so; a payload of no kind here goes to the fallback ("that choice has
expired").
"""
from __future__ import annotations

from ..messenger.payloads import Payload, text
from ..numbers import row_id, small_int

# -- arriving, the menu, the language -----------------------------------------------------------------------------
MENU = Payload("MENU")
LANGUAGE = Payload("LANG", language=text)  # th | en | switch (the other one)

# -- questions, and what the understanding step offers -----------------------------------------------------------
FAQ_TOPICS = Payload("MENU_FAQ")  # "Ask a question" in the menu: the topics
FAQ = Payload("FAQ", entry=text)  # an FAQ entry's answer
INTENT = Payload("INTENT", intent=text)  # a feature offered among "did you mean" choices
NOT_THIS = Payload("NOT_THIS", label=text)  # "not what I asked" under an answer: the label answered
HUMAN = Payload("HUMAN")  # talk to a person

# -- registering, the schedule, reminders --------------------------------------------------------------------------
REGISTER = Payload("REGISTER")
UNREGISTER = Payload("UNREGISTER", action=text)  # the person's registration: "yes" (cancel it) | "keep"
SCHEDULE = Payload("SCHEDULE")  # the days
SCHEDULE_DAY = Payload("SCHEDULE:DAY", day=text, start=text)  # a day's sessions (ISO date), from the start-th card
SCHEDULE_NOW = Payload("SCHEDULE:NOW")
SCHEDULE_NEXT = Payload("SCHEDULE:NEXT")
REMIND = Payload("REMIND", what=text, target=text)  # SESSION:<id> | TOPIC:<1-4> | ALL | POLLS
UNREMIND = Payload("UNREMIND", kind=text, target=text)  # <kind>:<target> of one subscription | ALL

# -- votes ----------------------------------------------------------------------------------------------------------
VOTES = Payload("VOTE")  # the open polls
VOTE = Payload("VOTE", poll=row_id, option=lambda value: small_int(value, 1, 10))  # an option (at most 10) of a poll

# -- a person's own data ----------------------------------------------------------------------------------------------
MY_DATA = Payload("DATA:SHOW")
DELETE_DATA = Payload("DATA:DELETE")  # asks first
DELETE_ANSWER = Payload("DATA:DELETE", answer=text)  # yes | no

# -- moderators -------------------------------------------------------------------------------------------------------
BROADCAST = Payload("BROADCAST", action=text, broadcast=text)  # SEND | DROP, the broadcast's id

# -- questions for the speakers ---------------------------------------------------------------------------------------
QA_ASK = Payload("QA_ASK")  # ask the speakers (the form)
QA_LIST = Payload("QA_LIST")  # the approved questions of the open sessions ("see questions")
QA_PAGE = Payload("QA_LIST", session=text, start=lambda value: small_int(value, 0, 10_000))  # a session's, from start
QA_UP = Payload("QA_UP", question=row_id)  # 👍 a question
QA_FOLLOW = Payload("QA_FOLLOW", question=row_id, token=text)  # a commenter follows their question in the chat

# -- opinion rounds (handlers/opinions.py) ----------------------------------------------------------------------------
OPINIONS = Payload("OPINION")  # "share your view": the open rounds (or the one open)
OPINION_ROUND = Payload("OPINION:ROUND", round=row_id)  # a round's next statement
OPINION_VOTE = Payload("OPINION:VOTE", statement=row_id, vote=lambda value: small_int(value, -1, 1))  # +1 | -1 | 0
OPINION_WRITE = Payload("OPINION:WRITE", round=row_id)  # write my own statement
OPINION_STOP = Payload("OPINION:STOP", round=row_id)
OPINION_STANDING = Payload("OPINION:STANDING")  # where do I stand?
# Moderators only (handlers/opinion_moderation.py): the statements waiting, and a decision on one.
OPINION_PENDING = Payload("OPINION:PENDING")
OPINION_DECIDE = Payload("OPINION:DECIDE", statement=row_id, decision=text)  # approve | reject
