"""Comment-to-Messenger: a comment with a keyword under one of the Page's posts or live videos gets the
commenter one private reply inviting them to register.

Takes: `comment` events (the `feed` webhook, `changes` with `item: comment`, verb `add`) whose text has one of
COMMENT_KEYWORDS (default "ลงทะเบียน", "สมัคร", "register"). Once per person per post, enforced by the
database; other comments are left alone (votes read them). The Page's own comments and replies never reach
any feature: the inbox keeps them as `ignored`.
"""
from __future__ import annotations

from bot import textnorm
from bot.dispatcher import Context, EventHandler, Priority
from bot.domain import comment_invites
from bot.domain.payloads import REGISTER
from bot.messenger.replies import Buttons, Outgoing, PostbackButton



def wants_to_register(ctx: Context) -> bool:
    value = ctx.event.raw.get("value") or {}
    if value.get("verb") != "add" or not value.get("comment_id"):
        return False  # (the Page's own comments never get here: the inbox leaves them alone)
    words = textnorm.clean(ctx.event.text)
    return any(keyword in words for keyword in ctx.settings.comment_keywords)


def invite(ctx: Context):
    value = ctx.event.raw["value"]
    post = str(value.get("post_id") or value.get("parent_id") or "")
    commenter = str((value.get("from") or {}).get("id") or ctx.event.psid)
    if not comment_invites.first_for(ctx.conn, post, commenter, value["comment_id"], ctx.now):
        return None  # already invited for this post
    lang = textnorm.language_of(ctx.event.text) or "th"
    texts = ctx.content.texts
    reply = Buttons(texts.get("comment_invite", lang),
                    [PostbackButton("📝 ลงทะเบียน" if lang == "th" else "📝 Register", REGISTER.build())])
    return Outgoing(reply, recipient={"comment_id": value["comment_id"]}, intent="PRIVATE_REPLY")


def register(bot) -> None:
    bot.content.require_texts("comment_invite")
    # After a vote by comment (exact): a comment under a poll's video is a vote, not an invitation.
    bot.dispatcher.add(EventHandler({"comment"}, invite, predicate=wants_to_register, name="comment_invite"),
                       Priority.GENERAL)
