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
