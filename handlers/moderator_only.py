"""Moderators' commands typed by anyone else: said plainly, rather than read as a question.

Takes: typed text starting with "/" and a moderators' command word ("/poll", "/qa", "/broadcast", "/stats",
"/round", "/rounds") from a PSID not in MODERATOR_PSIDS. Each command's own module answers moderators (at the
same priority, added first); a citizen who typed one got a greeting for "/broadcast hello everyone", the ballot
for "/poll close 1" and "did you mean" for "/qa open opening". Nothing privileged runs either way.
"""
from __future__ import annotations

import re

from bot.dispatcher import Context, Priority, TextHandler
from bot.messenger.replies import Text

COMMAND_WORD = re.compile(r"/(?:poll|polls|qa|broadcast|stats|round|rounds)\b", re.IGNORECASE)


def typed_by_a_citizen(text: str, ctx: Context) -> bool:
    return not ctx.is_moderator and bool(COMMAND_WORD.match((ctx.event.text or "").strip()))


def for_moderators_only(ctx: Context) -> Text:
    return Text(ctx.t("moderators_only"), quick_replies=ctx.menu())


def register(bot) -> None:
    bot.content.require_texts("moderators_only")
    bot.dispatcher.add(TextHandler(for_moderators_only, predicate=typed_by_a_citizen, name="moderators_only"),
                       Priority.COMMAND)
