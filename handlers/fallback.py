"""The last resort for messages and postbacks no other handler took.

Takes: any `message` or `postback` left over (the dispatcher calls it when nothing else matched). A payload
nobody knows (an old button from an earlier version) gets "that choice has expired"; text gets a polite
"not understood yet", both with the menu, so a person is never left without a way forward.
"""
from __future__ import annotations

from bot.dispatcher import Context
from bot.messenger.replies import Text


def fallback(ctx: Context) -> Text:
    key = "unknown_choice" if ctx.event.payload else "fallback"
    return Text(ctx.t(key), quick_replies=ctx.menu())


def register(bot) -> None:
    bot.content.require_texts("fallback", "unknown_choice", "error")
    bot.dispatcher.fallback = fallback
