"""A person's own data (PDPA): see everything the bot keeps, and delete it.

Takes, first of everything (Priority.RIGHTS: also with a moderator, also mid-form): "ข้อมูลของฉัน" / "my data"
and the `DATA:SHOW` payload, which list everything every table declared in the privacy registry holds for the
person (each table shows its own: bot/privacy.py `show=`); "ลบข้อมูล" / "delete my data" and the `DATA:DELETE` payloads. Deleting asks first, then erases everything every feature declared it keeps about the
person (`bot.privacy`, see bot/privacy.py): the registration, a form in progress, the name and locale from
Facebook, the text of everything they sent and were sent, their FAQ questions, subscriptions, hand-over, and
the audit log's record of a moderator's reply to them. Votes stay counted under a one-way key, so that voting
again after an erasure is still one vote. Then the WAL of every database file is scrubbed.
"""
from __future__ import annotations

import logging
from datetime import datetime

from bot.dispatcher import Context, MenuItem, PayloadHandler, Priority, TextHandler
from bot.domain import opinions
from bot.domain.agenda import when
from bot.domain.payloads import DELETE_ANSWER, DELETE_DATA, MY_DATA
from bot.logs import event as log_event
from bot.messenger.replies import QuickReply, Text
from bot.privacy import Words

log = logging.getLogger(__name__)
MESSAGE_LIMIT = 2000  # characters a Messenger text message holds

MY_DATA_WORDS = r"ข้อมูลของฉัน|ข้อมูลฉัน|ข้อมูลส่วนตัว|ดูข้อมูลของฉัน|my data|my info|my information|show my data|what do you know about me"
DELETE_DATA_WORDS = r"ลบข้อมูล|ลบข้อมูลของฉัน|ลบข้อมูลฉัน|ลบข้อมูลส่วนตัว|delete my data|delete my info|erase my data|forget me"


def _when(stamp: float | None, ctx: Context) -> str:
    """A moment in the event's time zone (TIMEZONE), as readers of the person's language write it: a Thai date
    (Buddhist era) inside Thai text, never an ISO date ("30 พ.ย. 2569 เวลา 08:04 น.", "30 Nov 2026, 08:04")."""
    if not stamp:
        return "-"
    return when(datetime.fromtimestamp(stamp, ctx.settings.tz), ctx.lang)


def show(ctx: Context, privacy) -> list[Text]:
    """Everything every table keeps about the person (`bot.privacy`: each table shows its own), in their language, in
    as many messages as Messenger's 2,000 characters need; the delete button under the last."""
    words = Words(t=ctx.t, when=lambda stamp: _when(stamp, ctx), lang=ctx.lang)
    items = privacy.shown(ctx.conn, ctx.user.psid, words, ctx.now) or [ctx.t("data_nothing")]
    messages = [ctx.t("data_intro")]
    for item in items:
        item = item if len(item) <= MESSAGE_LIMIT - 2 else item[:MESSAGE_LIMIT - 3] + "…"
        if len(messages[-1]) + 2 + len(item) > MESSAGE_LIMIT:
            messages.append(item)
        else:
            messages[-1] += "\n\n" + item
    buttons = [QuickReply(ctx.t("data_delete_button"), DELETE_DATA.build())] + ctx.menu()
    return [Text(m) for m in messages[:-1]] + [Text(messages[-1], quick_replies=buttons)]


# Opinion rounds' tables are declared by their owners (bot/domain/opinions.py, opinion_results.py); what they hold for
# a person is shown through the owners' own queries.
def opinion_statements_of(conn, person, words) -> list[str]:
    """Statements the person wrote that still carry their authorship (waiting for a moderator)."""
    return [words.t("data_statement", text=(s.text.get(words.lang) or s.text.get("th") or "")[:300],
                    status=words.t(f"statement_status_{s.status}"))
            for s in opinions.pending(conn) if s.author_psid == person.psid]


def opinion_votes_of(conn, person, words) -> list[str]:
    """The rounds the person voted in, found by their key in each (the votes keep no PSID)."""
    rounds = opinions.rounds(conn)
    voted = set(opinions.rounds_voted_in(conn, {r.id: person.key(opinions.voter_scope(r.id)) for r in rounds}))
    titles = [r.title.get(words.lang) or r.title.get("th") or str(r.id) for r in rounds if r.id in voted]
    return [words.t("data_opinion_votes", rounds=" / ".join(titles))] if titles else []


def ask_to_delete(ctx: Context) -> Text:
    return Text(ctx.t("delete_confirm"), quick_replies=[QuickReply(ctx.t("delete_yes"), DELETE_ANSWER.build(answer="yes")),
                                                        QuickReply(ctx.t("delete_no"), DELETE_ANSWER.build(answer="no"))])


def delete(ctx: Context, privacy) -> Text:
    if ctx.match.answer != "yes":
        return Text(ctx.t("delete_kept"), quick_replies=ctx.menu())
    counts = privacy.erase(ctx.conn, ctx.user.psid, ctx.now, inbox_id=ctx.event.inbox_id)
    log_event(log, "privacy.erased", rows={table: n for table, n in counts.items() if n})  # counts only
    return Text(ctx.t("delete_done"), quick_replies=ctx.menu())


def register(bot) -> None:
    bot.content.require_texts("data_intro", "data_nothing", "data_registration", "delete_confirm", "delete_done")
    bot.privacy.show_with("opinion_statements", opinion_statements_of)
    bot.privacy.show_with("opinion_votes", opinion_votes_of)
    bot.privacy.shows_nothing("opinion_maps", "where the person's votes placed them on a round's map: shown with them")
    show_data = lambda ctx: show(ctx, bot.privacy)  # noqa: E731
    # Before the hand-over's guard: a person with a moderator still sees and deletes their data (and mid-form too).
    bot.dispatcher.add(TextHandler(show_data, patterns=[MY_DATA_WORDS], name="my_data"), Priority.RIGHTS)
    bot.dispatcher.add(TextHandler(ask_to_delete, patterns=[DELETE_DATA_WORDS], name="delete_my_data"), Priority.RIGHTS)
    bot.dispatcher.add(PayloadHandler(MY_DATA, show_data), Priority.RIGHTS)
    bot.dispatcher.add(PayloadHandler(DELETE_DATA, ask_to_delete), Priority.RIGHTS)
    bot.dispatcher.add(PayloadHandler(DELETE_ANSWER, lambda ctx: delete(ctx, bot.privacy), name="delete_confirmed"),
                       Priority.RIGHTS)
    bot.dispatcher.add_menu_item(MenuItem(MY_DATA.build(), {"th": "👤 ข้อมูลของฉัน", "en": "👤 My data"}, order=80,
                                          quick=False))
    bot.dispatcher.add_intent("my_data", show_data)
    bot.dispatcher.add_intent("delete_data", ask_to_delete)
