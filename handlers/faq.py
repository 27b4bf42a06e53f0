"""Questions about the event, answered from content/faq.toml in the language they were asked in.

Takes: any typed text no earlier handler took (greetings, language, menu words and the hand-over come first),
the `FAQ:<id>` payloads of its own buttons, and `MENU_FAQ` from the menu. A confident match is answered, with
related entries as quick replies; an unsure one gets "did you mean" with up to 3 choices; a question the FAQ
does not cover gets an honest "I don't know that yet" with topics and "talk to a person", never an event fact.
Every unsure or unanswered question is logged for organisers: `flask --app app faq-misses`.
"""
from __future__ import annotations

import math
import time

import click
from flask.cli import with_appcontext
from flask import current_app

from bot import textnorm
from bot.dispatcher import Context, IceBreaker, MenuItem, PayloadHandler, TextHandler
from bot.faq import Entry, Faq, FaqIndex
from bot.store import ensure_table
from bot.replies import Buttons, QuickReply, Text, UrlButton

from .handover import HUMAN

MENU_FAQ = "MENU_FAQ"
PREFIX = "FAQ:"
TOPICS = ("about", "dates", "topics", "eligibility", "where", "benefits")  # offered when nothing matched


def schema(db) -> None:
    ensure_table(
        db, "faq_misses",
        {"id": int, "at": float, "text": str, "normalised": str, "language": str, "outcome": str,
         "best_entry": str, "score": float,
         "person_key": str},  # who asked, as a pseudonym (bot/privacy.py): "delete my data" finds their questions
        pk="id",
    )
    db.execute("CREATE INDEX IF NOT EXISTS faq_misses_at ON faq_misses(at)")


def load(directory) -> FaqIndex:
    return FaqIndex(Faq.load(directory))


def _entry_buttons(index: FaqIndex, ids, lang: str) -> list[QuickReply]:
    return [QuickReply(index.faq.entries[i].title[lang], PREFIX + i) for i in ids if i in index.faq.entries]


def answer(ctx: Context, entry: Entry, lang: str) -> Text | Buttons:
    index: FaqIndex = ctx.content["faq"]
    quick = _entry_buttons(index, entry.related, lang)[:4] + [QuickReply(ctx.content.texts.get("faq_human", lang), HUMAN)]
    text = entry.answer[lang]
    if entry.link:
        return Buttons(text, [UrlButton(entry.link["title"][lang], entry.link["url"])], quick_replies=quick)
    return Text(text, quick_replies=quick)


def ask(ctx: Context) -> Text | Buttons:
    index: FaqIndex = ctx.content["faq"]
    text = ctx.event.text
    lang = textnorm.language_of(text) or ctx.lang  # a question in English gets English
    verdict = index.judge(text)
    if verdict.kind == "answer":
        return answer(ctx, verdict.best.entry, lang)
    best = verdict.best
    ctx.conn.execute(
        "INSERT INTO faq_misses (at, text, normalised, language, outcome, best_entry, score, person_key) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (ctx.now, text[:500], " ".join(index.words(text))[:500], lang, verdict.kind,
         best.entry.id if best else None, round(best.score, 3) if best else None, ctx.pseudonym()),
    )
    human = QuickReply(ctx.content.texts.get("faq_human", lang), HUMAN)
    if verdict.kind == "unsure":
        choices = _entry_buttons(index, [m.entry.id for m in verdict.matches], lang)
        return Text(ctx.content.texts.get("faq_unsure", lang), quick_replies=choices + [human])
    return Text(ctx.content.texts.get("faq_unknown", lang), quick_replies=_entry_buttons(index, TOPICS, lang) + [human])


def answer_payload(ctx: Context) -> Text | Buttons:
    index: FaqIndex = ctx.content["faq"]
    entry = index.faq.entries.get(ctx.event.payload[len(PREFIX):])
    if entry is None:  # a button from an entry organisers have since removed
        return Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())
    return answer(ctx, entry, ctx.lang)


def show_topics(ctx: Context) -> Text:
    index: FaqIndex = ctx.content["faq"]
    topics = _entry_buttons(index, [e for e in index.faq.entries][:12], ctx.lang)
    return Text(ctx.t("faq_prompt"), quick_replies=topics)


def register(bot) -> None:
    bot.store.add_migration(schema)
    bot.privacy.personal("faq_misses", person_key="person_key", kept_from="at")
    bot.content.add_loader("faq", load)
    bot.content.require_texts("faq_prompt", "faq_unsure", "faq_unknown", "faq_human")
    bot.dispatcher.add(PayloadHandler(PREFIX, answer_payload), group=20)
    bot.dispatcher.add(PayloadHandler(MENU_FAQ, show_topics), group=20)
    bot.dispatcher.add(TextHandler(ask, predicate=lambda text, ctx: True, name="faq"), group=50)
    bot.dispatcher.add_menu_item(MenuItem(MENU_FAQ, {"th": "❓ ถามคำถาม", "en": "❓ Ask a question"}, order=10))
    for order, (entry_id, th, en) in enumerate((
        ("about", "งานนี้คืออะไร", "What is this event?"),
        ("dates", "งานจัดวันไหน", "When is it?"),
        ("eligibility", "ใครเข้าร่วมได้บ้าง", "Who can join?"),
        ("topics", "หัวข้อมีอะไรบ้าง", "What are the topics?"),
    )):
        bot.dispatcher.add_ice_breaker(IceBreaker({"th": th, "en": en}, PREFIX + entry_id, order=order))
    bot.commands.append(faq_misses)


def frequent_misses(conn, days: int = 7, limit: int = 20, between: tuple[float, float] | None = None) -> list:
    """Unanswered or unsure questions of the last `days` (or of `between`, Unix times [start, end)), the most
    frequent first (same wording counts once)."""
    start, end = between or (time.time() - days * 86400, math.inf)
    return conn.execute(
        "SELECT normalised, count(*) AS n, max(text) AS example, max(at) AS last, "
        "group_concat(DISTINCT outcome) AS outcomes, max(best_entry) AS guess, max(score) AS score "
        "FROM faq_misses WHERE at >= ? AND at < ? GROUP BY normalised ORDER BY n DESC, last DESC LIMIT ?",
        (start, end, limit)).fetchall()


@click.command("faq-misses")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 36500), help="Look back this many days.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@with_appcontext
def faq_misses(days: int, limit: int) -> None:
    """The questions the bot could not answer (or was unsure of), most frequent first."""
    bot = current_app.extensions["bot"]
    rows = frequent_misses(bot.store.conn, days, limit)
    if not rows:
        click.echo(f"no unanswered questions in the last {days} days")
        return
    click.echo(f"{'times':>5}  {'outcome':<12} {'best guess':<14} question")
    for row in rows:
        guess = f"{row['guess']} {row['score']:.2f}" if row["guess"] else "-"
        click.echo(f"{row['n']:>5}  {row['outcomes']:<12} {guess:<14} {row['example']}")
