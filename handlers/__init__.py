"""Conversation features, one module each.

Every module says in its docstring which events it takes, and exposes `register(bot)`, which adds its handlers to
`bot.dispatcher` (and, where it has any, the texts it needs, its menu items and intents). Their data is the
domain's (bot/domain/); jobs are in schedules/, operators' commands in bot/cli/, web pages in bot/console/ and
bot/screens/. The order of MODULES does not decide who answers first: handler priorities do.
"""
from __future__ import annotations

from . import (broadcast_command, comments, fallback, faq, greeting, handover, language, media, moderator_stats,
               privacy, questions, registration, reminders, schedule, template_status, understanding, votes)

MODULES = (handover, language, greeting, registration, privacy, comments, schedule, reminders, votes,
           broadcast_command, moderator_stats, media, faq, understanding, fallback, template_status, questions)
from . import opinions  # noqa: E402  (opinion rounds)
MODULES += (opinions,)
from . import opinion_moderation  # noqa: E402  (moderators' /round commands)
MODULES += (opinion_moderation,)
from . import registration_cancel  # noqa: E402  (giving up one's place)
MODULES += (registration_cancel,)
from . import moderator_only  # noqa: E402  (after every module with a moderators' command)
MODULES += (moderator_only,)
from . import typed_choices  # noqa: E402  (typed words that say a button's title are its tap)
MODULES += (typed_choices,)


def register_all(bot) -> None:
    for module in MODULES:
        module.register(bot)
