"""The understanding step: typed text that no exact command took is read as a feature request, an FAQ question, or
something the bot does not do (bot/understanding/), and a feature request opens the feature at once.

Takes:
- typed text the step reads, confidently, as a feature intent (content/intents.toml): the feature registered for
  it with `bot.dispatcher.add_intent` opens in the same reply ("ขอตารางงานหน่อยค่ะ" -> the days), after the
  intent's intro line and with "not what I asked" under it; an intent written ahead for a feature still to come
  gets an honest "not in this chat yet". FAQ questions, unsure readings and the rest go on to handlers/faq.py;
- a feature asked for in the middle of a form (bot/forms.py asks `open_intent`; the form waits);
- `INTENT:<id>` taps (a feature among "did you mean" choices): the feature opens;
- `NOT_THIS:<label>` taps ("not what I asked"): the question is logged as a miss with its candidates, what the
  feature began is undone (a registration form opened at its consent step is closed), and the other
  candidates are offered.

The step itself, its content loader and the model's preload are the engine's (bot/understanding/).
"""
from __future__ import annotations

from bot import inbox
from bot.dispatcher import Context, PayloadHandler, Priority, TextHandler, as_list
from bot.domain.payloads import HUMAN, INTENT, NOT_THIS
from bot.messenger.replies import QuickReply, Text
from bot.understanding import INTENT_MARK, Understanding

from . import faq


def understood_intent(text: str, ctx: Context) -> bool:
    reading = ctx.reading
    return reading.verdict == "answer" and reading.best.is_intent


def open_understood(ctx: Context):
    reading = ctx.reading
    if reading.low_margin:
        faq.record_miss(ctx, ctx.event.text, reading, "low_margin")
    return open_intent(ctx, reading.best.id, asked=True)


def open_intent(ctx: Context, intent: str, asked: bool):
    """The feature's own reply; `asked`: reached from words (not a button), so the intent's intro line comes
    first and "not what I asked" under it."""
    understanding: Understanding = ctx.content["understanding"]
    spec = understanding.intents.get(intent)
    route = ctx.dispatcher.intents.get(intent)
    if route is None:  # written ahead in content/intents.toml for a feature still to come
        title = spec.title[ctx.lang] if spec else intent
        return Text(ctx.t("intent_unavailable", title=title), quick_replies=ctx.menu())
    replies = as_list(route.callback(ctx))
    if asked:
        if spec is not None and spec.intro:
            replies.insert(0, Text(spec.intro[ctx.lang]))
        replies = faq.with_not_this(ctx, replies, INTENT_MARK + intent)
    return replies


def open_tapped(ctx: Context):
    intent = ctx.match.intent
    if intent not in ctx.content["understanding"].intents and intent not in ctx.dispatcher.intents:
        return Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())
    return open_intent(ctx, intent, asked=False)


def last_question(ctx: Context) -> str | None:
    """The person's last typed message before this tap (quick replies show under the latest message only, so
    it is the one the answer was to)."""
    for event in inbox.last_messages(ctx.conn, ctx.user.psid, before=ctx.event.inbox_id, limit=20):
        message = event.get("message") or {}
        if message.get("text") and not message.get("quick_reply"):
            return message["text"]
    return None


def not_what_i_asked(ctx: Context) -> Text:
    label = ctx.match.label
    question = last_question(ctx)
    reading = ctx.content["understanding"].read(question) if question else None
    if question:
        faq.record_miss(ctx, question, reading, "not_this")
    if label.startswith(INTENT_MARK):
        route = ctx.dispatcher.intents.get(label[len(INTENT_MARK):])
        if route is not None and route.undo is not None:
            route.undo(ctx)
    others = [c for c in (reading.candidates if reading else ()) if c.label != label]
    return Text(ctx.t("not_this_sorry"), quick_replies=faq.choice_buttons(ctx, others))


def register(bot) -> None:
    bot.content.require_texts("intent_unavailable", "not_this_sorry", "form_waiting")
    # A feature asked for in the middle of a form is served (the form waits); a greeting or thanks is no request.
    bot.forms.serve_requests_with(lambda ctx, intent: open_intent(ctx, intent, asked=True), social=("greeting", "thanks"))
    bot.dispatcher.add(TextHandler(open_understood, predicate=understood_intent, name="understood_intent"),
                       Priority.UNDERSTOOD)
    bot.dispatcher.add(PayloadHandler(INTENT, open_tapped))
    bot.dispatcher.add(PayloadHandler(NOT_THIS, not_what_i_asked))
