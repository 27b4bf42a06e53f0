"""Moderators' "/stats" in Messenger: the console dashboard's figures as one message.

Takes: "/stats" (or "stats") typed by a PSID in MODERATOR_PSIDS; from anyone else it is ordinary text.
"""
from __future__ import annotations

from bot.dispatcher import Context, Priority, TextHandler
from bot.domain import stats
from bot.messenger.replies import Text


def show_stats(ctx: Context) -> Text:
    return Text(stats.as_message(stats.figures(ctx.conn, ctx.settings.tz, ctx.now)))


def register(bot) -> None:
    bot.dispatcher.add(TextHandler(show_stats, name="moderator_stats",
                                   predicate=lambda text, ctx: ctx.is_moderator and text == "stats"),
                       Priority.COMMAND)
