"""Stickers, likes, images and other attachments, where the bot expects text.

Takes: `message` events without text (a sticker, the like thumb, a photo, audio, a location, a file), and typed
text made only of emoji ("👍", "😊😊"). Never crashes on them: a like (the thumb, or a thumb, heart or clap typed)
is thanked, a sticker or other emoji smiled at, anything else gets a kind note that the bot reads text, with the
menu.
"""
from __future__ import annotations

import unicodedata

from bot.dispatcher import Context, EventHandler, Priority, TextHandler
from bot.messenger.replies import Text

LIKES = ("👍", "❤", "♥", "💯", "👏", "🙏", "🥰", "😍")  # typed, they say what the like thumb says


def no_text(ctx: Context) -> bool:
    return not ctx.event.has_text and not ctx.event.payload


def answer_media(ctx: Context) -> Text:
    if ctx.event.is_like:
        return Text(ctx.t("like"))
    if ctx.event.sticker_id is not None:
        return Text(ctx.t("sticker"), quick_replies=ctx.menu())
    return Text(ctx.t("attachment"), quick_replies=ctx.menu())


def emoji_only(text: str, ctx: Context) -> str | None:
    """The text when it has no letter or digit and at least one emoji-like symbol (category So), else None."""
    raw = (ctx.event.text or "").strip()
    if not raw or any(unicodedata.category(ch)[0] in "LN" for ch in raw):
        return None
    return raw if any(unicodedata.category(ch) == "So" for ch in raw) else None


def answer_emoji(ctx: Context) -> Text:
    if any(like in ctx.match for like in LIKES):
        return Text(ctx.t("like"))
    return Text(ctx.t("sticker"), quick_replies=ctx.menu())


def register(bot) -> None:
    bot.content.require_texts("like", "sticker", "attachment")
    bot.dispatcher.add(EventHandler({"message"}, answer_media, predicate=no_text, name="media"), Priority.GENERAL)
    bot.dispatcher.add(TextHandler(answer_emoji, predicate=emoji_only, name="emoji"), Priority.GENERAL)
