"""Stickers, likes, images and other attachments, where the bot expects text.

Takes: `message` events without text (a sticker, the like thumb, a photo, audio, a location, a file).
Never crashes on them: a like is thanked, a sticker smiled at, anything else gets a kind note that the bot
reads text, with the menu.
"""
from __future__ import annotations

from bot.dispatcher import Context, EventHandler, Priority
from bot.messenger.replies import Text


def no_text(ctx: Context) -> bool:
    return not ctx.event.has_text and not ctx.event.payload


def answer_media(ctx: Context) -> Text:
    if ctx.event.is_like:
        return Text(ctx.t("like"))
    if ctx.event.sticker_id is not None:
        return Text(ctx.t("sticker"), quick_replies=ctx.menu())
    return Text(ctx.t("attachment"), quick_replies=ctx.menu())


def register(bot) -> None:
    bot.content.require_texts("like", "sticker", "attachment")
    bot.dispatcher.add(EventHandler({"message"}, answer_media, predicate=no_text, name="media"), Priority.GENERAL)
