"""Questions about the event, answered from content/faq.toml in the language they were asked in.

Takes: any typed text no earlier handler took (greetings, language, menu words, the hand-over and the features
the understanding step recognised come first), the `FAQ:<id>` payloads of its own buttons, and `MENU_FAQ` from
the menu. The understanding step (bot/understanding/) has read the message: a confident FAQ entry is answered,
with related entries and "not what I asked" as quick replies; an unsure reading gets "did you mean" with up to 3
choices (entries or features); anything else gets an honest "I don't know that yet" with topics and "talk to a
person", never an event fact.
Every declined, unsure or low-margin reading is logged for organisers with its top candidates (no PSID):
`flask --app app faq-misses`, and the console's FAQ misses page, where a miss becomes an example in one step.
"""
from __future__ import annotations

from dataclasses import replace

from bot.dispatcher import Context, IceBreaker, MenuItem, PayloadHandler, Priority, TextHandler
from bot.domain import faq_misses
from bot.domain.payloads import FAQ, FAQ_TOPICS, HUMAN, INTENT, NOT_THIS
from bot.understanding.faq import Entry
from bot.messenger.replies import QUICK_REPLY_COUNT, Buttons, Cards, QuickReply, Text, UrlButton
from bot.understanding import Reading, Understanding

STARTER_ENTRIES = ("about", "dates", "topics", "eligibility", "where", "benefits")  # offered when nothing matched


def record_miss(ctx: Context, text: str, reading: Reading | None, outcome: str) -> None:
    """Log a question the bot declined, was unsure of, answered by a thin margin, or answered wrongly (the person
    said "not what I asked"), with its top candidates; the person only as a pseudonym (bot/domain/faq_misses.py)."""
    understanding: Understanding = ctx.content["understanding"]
    faq_misses.record(ctx.conn, at=ctx.now, text=text, normalised=" ".join(understanding.lexical.words(text)),
                      language=ctx.lang, outcome=outcome, reading=reading, person_key=ctx.pseudonym())


def _entry_buttons(understanding: Understanding, ids, lang: str) -> list[QuickReply]:
    return [QuickReply(understanding.faq.entries[i].title[lang], FAQ.build(entry=i)) for i in ids
            if i in understanding.faq.entries]


def choice_buttons(ctx: Context, candidates) -> list[QuickReply]:
    """FAQ entries and features as "did you mean" buttons, then "talk to a person" (once: it may be a candidate)."""
    understanding: Understanding = ctx.content["understanding"]
    buttons = []
    for c in candidates:
        if c.is_intent and c.id in understanding.intents:
            buttons.append(QuickReply(understanding.intents[c.id].title[ctx.lang], INTENT.build(intent=c.id)))
        elif c.id in understanding.faq.entries:
            buttons.append(QuickReply(understanding.faq.entries[c.id].title[ctx.lang], FAQ.build(entry=c.id)))
    if not any(c.is_intent and c.id == "human" for c in candidates):
        buttons.append(QuickReply(ctx.t("faq_human"), HUMAN.build()))
    return buttons


def with_not_this(ctx: Context, replies: list, label: str) -> list:
    """The replies with "not what I asked" under the last one (when it takes quick replies and has room)."""
    if replies and isinstance(replies[-1], (Text, Buttons, Cards)) and len(replies[-1].quick_replies) < QUICK_REPLY_COUNT:
        button = QuickReply(ctx.t("not_this"), NOT_THIS.build(label=label))
        replies = [*replies[:-1], replace(replies[-1], quick_replies=[*replies[-1].quick_replies, button])]
    return replies


def answer(ctx: Context, entry: Entry, asked: bool = False) -> Text | Buttons:
    """The entry's answer in the reply's language; `asked`: it answers a typed question, so the person may
    say it is not what they asked."""
    understanding: Understanding = ctx.content["understanding"]
    lang = ctx.lang
    quick = _entry_buttons(understanding, entry.related, lang)[:4] + [QuickReply(ctx.content.texts.get("faq_human", lang),
                                                                                 HUMAN.build())]
    if asked:
        quick.append(QuickReply(ctx.t("not_this"), NOT_THIS.build(label=entry.id)))
    text = entry.answer[lang]
    if entry.link:
        return Buttons(text, [UrlButton(entry.link["title"][lang], entry.link["url"])], quick_replies=quick)
    return Text(text, quick_replies=quick)


def answer_in_passing(ctx: Context, text: str) -> Text | Buttons | None:
    """A confident FAQ answer to a question typed in the middle of a form (bot/forms.py), or None."""
    reading, entries = ctx.reading, ctx.content["understanding"].faq.entries
    if reading.verdict != "answer" or reading.best.is_intent or reading.best.id not in entries:
        return None
    return answer(ctx, entries[reading.best.id])


def decline(ctx: Context) -> Text:
    understanding: Understanding = ctx.content["understanding"]
    human = QuickReply(ctx.t("faq_human"), HUMAN.build())
    return Text(ctx.t("faq_unknown"), quick_replies=_entry_buttons(understanding, STARTER_ENTRIES, ctx.lang) + [human])


def ask(ctx: Context) -> Text | Buttons:
    understanding: Understanding = ctx.content["understanding"]
    text, reading = ctx.event.text, ctx.reading
    best = reading.best
    if reading.verdict == "answer" and best is not None and best.id in understanding.faq.entries and not best.is_intent:
        if reading.low_margin:
            record_miss(ctx, text, reading, "low_margin")
        return answer(ctx, understanding.faq.entries[best.id], asked=True)
    if reading.reason == "no words":  # a link, emoji or numbers: nothing to learn from, nothing to log
        return decline(ctx)
    record_miss(ctx, text, reading, "unsure" if reading.verdict == "unsure" else "none")
    if reading.verdict == "unsure":
        return Text(ctx.t("faq_unsure"), quick_replies=choice_buttons(ctx, reading.candidates))
    return decline(ctx)


def answer_payload(ctx: Context) -> Text | Buttons:
    understanding: Understanding = ctx.content["understanding"]
    entry = understanding.faq.entries.get(ctx.match.entry)
    if entry is None:  # a button from an entry organisers have since removed
        return Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())
    return answer(ctx, entry)


def show_topics(ctx: Context) -> Text:
    understanding: Understanding = ctx.content["understanding"]
    topics = _entry_buttons(understanding, list(understanding.faq.entries)[:12], ctx.lang)
    return Text(ctx.t("faq_prompt"), quick_replies=topics)


def register(bot) -> None:
    bot.forms.answer_questions_with(answer_in_passing)
    bot.content.require_texts("faq_prompt", "faq_unsure", "faq_unknown", "faq_human", "not_this")
    bot.dispatcher.add(PayloadHandler(FAQ, answer_payload))
    bot.dispatcher.add(PayloadHandler(FAQ_TOPICS, show_topics))
    bot.dispatcher.add(TextHandler(ask, predicate=lambda text, ctx: True, name="faq"), Priority.FREE_TEXT)
    bot.dispatcher.add_menu_item(MenuItem(FAQ_TOPICS.build(), {"th": "❓ ถามคำถาม", "en": "❓ Ask a question"}, order=10))
    for order, (entry_id, th, en) in enumerate((
        ("about", "งานนี้คืออะไร", "What is this event?"),
        ("dates", "งานจัดวันไหน", "When is it?"),
        ("eligibility", "ใครเข้าร่วมได้บ้าง", "Who can join?"),
        ("topics", "หัวข้อมีอะไรบ้าง", "What are the topics?"),
    )):
        bot.dispatcher.add_ice_breaker(IceBreaker({"th": th, "en": en}, FAQ.build(entry=entry_id), order=order))
