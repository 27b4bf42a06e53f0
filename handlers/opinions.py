"""Opinion rounds in the chat (Pol.is in Messenger): statements one at a time, agree / disagree / pass.

Takes: "ร่วมแสดงความเห็น" / "share your view" typed, the "opinion" intent and the `OPINION` menu entry (the open
round, or a choice of rounds), `OPINION:ROUND:<id>` (that round's next statement), `OPINION:VOTE:<statement>:<+1|-1|0>`
(a vote; answering a statement again changes the vote), `OPINION:WRITE:<round>` (the one-step form "write my own
statement": 10 to 140 characters, shown back to confirm, then queued for moderators with rude words and
near-duplicates flagged; the author's own vote is agree, as in Pol.is, and they are told when it goes live),
`OPINION:STOP:<round>`, and "ฉันอยู่กลุ่มไหน" / "where do I stand?" (the "standing" intent, `OPINION:STANDING`):
the person's opinion group as last computed, what sets it apart, and what every group agrees on.

Statements with fewer votes come first and nobody sees one twice (bot/domain/opinions.py); the map is computed
off the conversation's path (bot/domain/opinion_results.py, schedules/opinion_maps.py).
"""
from __future__ import annotations

from bot.dispatcher import Context, MenuItem, PayloadHandler, TextHandler
from bot.domain import opinion_results, opinions
from bot.domain.payloads import OPINION_ROUND, OPINION_STANDING, OPINION_STOP, OPINION_VOTE, OPINION_WRITE, OPINIONS
from bot.domain.rude_words import find_rude_words
from bot.forms import Form, FormTexts, Step
from bot.messenger.replies import QuickReply, Text
from bot.understanding.embedding import ENCODER

SHARE_WORDS = (r"ร่วมแสดงความเห็น|แสดงความเห็น|ร่วมแสดงความคิดเห็น|แสดงความคิดเห็น|ออกความเห็น|"
               r"share (?:my |your )?(?:views?|opinions?)|give my opinion|opinion rounds?|opinions?")
STANDING_WORDS = (r"ฉันอยู่กลุ่มไหน|ฉันอยู่ตรงไหน|เราอยู่กลุ่มไหน|กลุ่มความเห็นของฉัน|where do i stand|where i stand|"
                  r"which (?:opinion )?group am i in|my opinion group")
ANSWERS = ((1, "opinion_agree"), (-1, "opinion_disagree"), (0, "opinion_pass"))
SHOWN = 2  # statements of each kind in "where do I stand?"


# -- voting -------------------------------------------------------------------------------------------------------
def show_rounds(ctx: Context) -> Text:
    open_now = opinions.open_rounds(ctx.conn)
    if not open_now:
        return Text(ctx.t("opinion_none_open"), quick_replies=ctx.menu())
    if len(open_now) == 1:
        return next_statement(ctx, open_now[0], lead=ctx.t("opinion_intro", title=open_now[0].title[ctx.lang]))
    return Text(ctx.t("opinion_pick_round", rounds="\n".join(f"{i}. {r.title[ctx.lang]}" for i, r in enumerate(open_now, 1))),
                quick_replies=[QuickReply(f"{i}. {r.title[ctx.lang]}", OPINION_ROUND.build(round=r.id))
                               for i, r in enumerate(open_now[:13], 1)])


def open_round(ctx: Context, round_id: int | None):
    """The round of a tapped button if it takes votes, else a reply saying why not (as the second value)."""
    found = opinions.get_round(ctx.conn, round_id) if round_id is not None else None
    if found is None or found.state == "draft":
        return None, Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())
    if found.state == "closed":
        return None, Text(ctx.t("opinion_closed", title=found.title[ctx.lang]),
                          quick_replies=[QuickReply(ctx.t("opinion_standing_button"), OPINION_STANDING.build())] + ctx.menu())
    return found, None


def choose_round(ctx: Context) -> Text:
    found, refusal = open_round(ctx, ctx.match.round)
    return refusal or next_statement(ctx, found, lead=ctx.t("opinion_intro", title=found.title[ctx.lang]))


def next_statement(ctx: Context, found: opinions.Round, lead: str | None = None) -> Text:
    """The statement this person has not answered with the fewest votes, with the answers as quick replies."""
    voter = ctx.pseudonym(opinions.voter_scope(found.id))
    statement = opinions.next_statement(ctx.conn, found.id, voter)
    voted, total = opinions.progress(ctx.conn, found.id, voter)
    write = QuickReply(ctx.t("opinion_write_button"), OPINION_WRITE.build(round=found.id))
    if statement is None:
        text = ctx.t("opinion_all_done", total=total)
        return Text(f"{lead}\n\n{text}" if lead else text,
                    quick_replies=[write, QuickReply(ctx.t("opinion_standing_button"), OPINION_STANDING.build())] + ctx.menu())
    text = ctx.t("opinion_statement", number=voted + 1, total=total, statement=statement.text[ctx.lang])
    return Text(f"{lead}\n\n{text}" if lead else text, quick_replies=[
        *(QuickReply(ctx.t(key), OPINION_VOTE.build(statement=statement.id, vote=value)) for value, key in ANSWERS),
        write, QuickReply(ctx.t("opinion_stop_button"), OPINION_STOP.build(round=found.id))])


def cast(ctx: Context) -> Text:
    statement_id, value = ctx.match.statement, ctx.match.vote
    found = opinions.statement(ctx.conn, statement_id) if statement_id is not None and value is not None else None
    if found is None or found.status != "approved":
        return Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())
    round_, refusal = open_round(ctx, found.round_id)
    if refusal:
        return refusal
    outcome = opinions.vote(ctx.conn, found, ctx.pseudonym(opinions.voter_scope(round_.id)), value)
    answer = ctx.t(dict(ANSWERS)[value])
    lead = {"counted": ctx.t("opinion_recorded", answer=answer), "changed": ctx.t("opinion_changed", answer=answer),
            "unchanged": ctx.t("opinion_unchanged", answer=answer)}[outcome]
    return next_statement(ctx, round_, lead)


def stop(ctx: Context) -> Text:
    found = opinions.get_round(ctx.conn, ctx.match.round) if ctx.match.round is not None else None
    if found is None:
        return Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())
    voted, total = opinions.progress(ctx.conn, found.id, ctx.pseudonym(opinions.voter_scope(found.id)))
    return Text(ctx.t("opinion_stopped", voted=voted, total=total),
                quick_replies=[QuickReply(ctx.t("opinion_standing_button"), OPINION_STANDING.build())] + ctx.menu())


# -- writing my own statement -------------------------------------------------------------------------------------
def a_statement(text: str, ctx: Context) -> str | None:
    return opinions.check_text(text)


def as_others_see_it(ctx: Context, data: dict) -> str:
    return ctx.t("opinion_write_summary", statement=data["statement"])


def submit(ctx: Context, data: dict) -> Text:
    found = opinions.get_round(ctx.conn, data.get("round"))
    if found is None or found.state != "open":
        return Text(ctx.t("opinion_closed", title=found.title[ctx.lang] if found else ""), quick_replies=ctx.menu())
    text = data["statement"]
    flags = {"rude": find_rude_words(text),
             "near": opinions.near_duplicates(ctx.conn, found.id, text, ENCODER.encode)}
    statement_id = opinions.add_statement(ctx.conn, found.id, {"th": text, "en": text}, origin="participant",
                                          author_psid=ctx.user.psid, flags=flags)
    # The author agrees with what they wrote (Pol.is counts it so), and is never asked to vote on it.
    opinions.vote(ctx.conn, opinions.statement(ctx.conn, statement_id), ctx.pseudonym(opinions.voter_scope(found.id)), 1)
    return Text(ctx.t("opinion_write_thanks"), quick_replies=[
        QuickReply(ctx.t("opinion_continue_button"), OPINION_ROUND.build(round=found.id)),
        QuickReply(ctx.t("opinion_standing_button"), OPINION_STANDING.build())])


FORM = Form(
    name="opinion_statement", key="STMT",
    texts=FormTexts(resume="opinion_write_resume", cancelled="opinion_write_cancelled", media="opinion_write_media",
                    cancel="opinion_write_cancel", confirm="opinion_write_confirm"),
    steps=(Step("statement", "opinion_write_yours", parse=a_statement, error="opinion_bad_statement",
                edit="opinion_edit_statement", questions=False),),
    summary=as_others_see_it, done=submit)


def write(ctx: Context) -> Text:
    found, refusal = open_round(ctx, ctx.match.round)
    return refusal or FORM.start(ctx, {"round": found.id})


# -- where do I stand? --------------------------------------------------------------------------------------------
def standing(ctx: Context) -> Text:
    keys = {r.id: ctx.pseudonym(opinions.voter_scope(r.id)) for r in opinions.rounds(ctx.conn)}
    voted_in = opinions.rounds_voted_in(ctx.conn, keys)
    if not voted_in:
        return Text(ctx.t("opinion_standing_none"), quick_replies=ctx.menu())  # the menu offers "share your view"
    round_id = max(voted_in)  # the newest round they voted in
    report = opinion_results.report(ctx.conn, round_id)
    more_of_it = [QuickReply(ctx.t("opinion_continue_button"), OPINION_ROUND.build(round=round_id))] \
        if report["state"] == "open" else []
    title = report["title"][ctx.lang]
    label = opinion_results.placement(ctx.conn, round_id, keys[round_id])
    if label is None:
        voted, _ = opinions.progress(ctx.conn, round_id, keys[round_id])
        more = opinion_results.MIN_VOTES - voted
        key = "opinion_standing_more" if more > 0 else "opinion_standing_wait"
        return Text(ctx.t(key, title=title, more=more), quick_replies=more_of_it + ctx.menu())
    group = next(g for g in report["groups"] if g["label"] == label)

    def lines(items) -> str:
        return "\n".join(f"• {i['text'][ctx.lang]} ({ctx.t('opinion_' + i['direction'] + '_percent', percent=i['percent'])})"
                         for i in items[:SHOWN]) or ctx.t("opinion_nothing_yet")

    return Text(ctx.t("opinion_standing", title=title, group=label, size=group["size"], groups=len(report["groups"]),
                      counted=report["counted"], distinctive=lines(group["distinctive"]),
                      consensus=lines(report["consensus"])), quick_replies=more_of_it + ctx.menu())


def register(bot) -> None:
    bot.forms.add(FORM)
    bot.dispatcher.add(PayloadHandler(OPINION_VOTE, cast))
    bot.dispatcher.add(PayloadHandler(OPINION_ROUND, choose_round))
    bot.dispatcher.add(PayloadHandler(OPINION_WRITE, write))
    bot.dispatcher.add(PayloadHandler(OPINION_STOP, stop))
    bot.dispatcher.add(PayloadHandler(OPINION_STANDING, standing))
    bot.dispatcher.add(PayloadHandler(OPINIONS, show_rounds))
    bot.dispatcher.add(TextHandler(standing, patterns=[STANDING_WORDS], name="standing_words"))
    bot.dispatcher.add(TextHandler(show_rounds, patterns=[SHARE_WORDS], name="opinion_words"))
    bot.dispatcher.add_menu_item(MenuItem(OPINIONS.build(), {"th": "💬 แสดงความเห็น", "en": "💬 Share your view"}, order=45))
    bot.dispatcher.add_intent("opinion", show_rounds)
    bot.dispatcher.add_intent("standing", standing)
    bot.content.require_texts("opinion_none_open", "opinion_statement", "opinion_recorded", "opinion_standing",
                              "opinion_write_yours", "opinion_statement_live")
