"""Moderators run opinion rounds from Messenger, as they run polls (/poll) and Q&A (/qa).

Takes, from people in MODERATOR_PSIDS only (anyone else typing them gets an ordinary reply, as /poll does):
- "/round list": every round, newest first, with its state, statements, statements waiting and people;
- "/round open ID": opens a draft round and tells the people who asked to be told of polls or of everything
  (bot/domain/opinions.py `open_round`, as the console and `flask --app app opinions open` do);
- "/round close ID": closes it and asks the job queue for the final map;
- "/round report ID": the groups, what every group agrees on and what divides them, in plain words, in the
  moderator's language first and then the other (each message within Messenger's 2,000 characters); the map as
  last computed on the job queue, with a fresh computation asked for when votes came in since;
- "/round pending" and `OPINION:PENDING`: the statements citizens wrote that wait for approval (oldest first, a
  few at a time, rude words and near-duplicates flagged), each with "approve" and "reject" buttons
  (`OPINION:DECIDE:<statement>:<approve|reject>`): an approved statement goes live and its author is told, as
  from the console; every decision is in the audit log.
A moderator typing "/round" alone (or "/round help", or a command without its round) gets the list of commands.
"""
from __future__ import annotations

import re
from datetime import datetime

from bot.dispatcher import Context, PayloadHandler, Priority, TextHandler
from bot.domain import audit, opinion_results, opinions
from bot.domain.payloads import OPINION_DECIDE, OPINION_PENDING
from bot.messenger.replies import Buttons, PostbackButton, QuickReply, Text
from bot.numbers import row_id

from .votes import moderators_command

# The last branch: "/round" alone or a command without its id gets the list of commands ("round table" typed by a
# moderator stays an ordinary question).
COMMAND = re.compile(r"round (open|close|report) #?(\d+)|round (list|pending)|round(?: (?:help|open|close|report)\b.*)?",
                     re.IGNORECASE)
SHOWN = 5  # statements waiting shown at once (each is a message with its two buttons)
MOST = 3  # statements under each heading of a report in the chat (the console and the CLI show them all)


def say(ctx: Context, key: str, **values) -> str:
    """A moderator's reply in the language of their profile (a typed "/round ..." looks English to the
    dispatcher, whatever the moderator reads)."""
    return ctx.content.texts.get(key, ctx.user.language, **values)


def command(ctx: Context):
    action, number, listing = ctx.match.groups()
    if listing:
        return show_list(ctx) if listing.lower() == "list" else show_pending(ctx)
    if action is None:
        return Text(say(ctx, "round_usage"))
    round_id = row_id(number)
    found = opinions.get_round(ctx.conn, round_id) if round_id is not None else None
    if found is None:
        return Text(say(ctx, "round_not_found", round=number[:30]))
    return {"open": open_round, "close": close_round, "report": report}[action.lower()](ctx, found)


def state_word(ctx: Context, state: str) -> str:
    return say(ctx, f"round_state_{state}")


def show_list(ctx: Context) -> Text:
    lines = []
    for r in opinions.rounds(ctx.conn):
        voters, _ = opinions.progress_of_round(ctx.conn, r.id)
        lines.append(say(ctx, "round_list_line", round=r.id, state=state_word(ctx, r.state),
                         title=r.title[ctx.user.language], statements=len(opinions.statements(ctx.conn, r.id, "approved")),
                         pending=len(opinions.statements(ctx.conn, r.id, "pending")), voters=voters))
    waiting = len(opinions.pending(ctx.conn))
    more = [QuickReply(say(ctx, "round_pending_button", count=waiting), OPINION_PENDING.build())] if waiting else []
    return Text("\n".join(lines) or say(ctx, "round_list_empty"), quick_replies=more)


def open_round(ctx: Context, found: opinions.Round) -> Text:
    try:
        told = opinions.open_round(ctx.conn, ctx.content.texts, found.id)
    except ValueError:
        return Text(say(ctx, "round_cannot", round=found.id, state=state_word(ctx, found.state)))
    audit.record(ctx.conn, f"messenger:{ctx.user.psid}", "opinion_round_open", f"#{found.id}, told {told}")
    return Text(say(ctx, "round_opened", round=found.id, title=found.title[ctx.user.language], told=told))


def close_round(ctx: Context, found: opinions.Round) -> Text:
    if not opinions.set_state(ctx.conn, found.id, "closed"):
        return Text(say(ctx, "round_cannot", round=found.id, state=state_word(ctx, found.state)))
    opinion_results.request(ctx.conn, found.id)  # the final map, from every vote (the job queue computes it)
    audit.record(ctx.conn, f"messenger:{ctx.user.psid}", "opinion_round_close", f"#{found.id}")
    return Text(say(ctx, "round_closed", round=found.id, title=found.title[ctx.user.language]))


def report(ctx: Context, found: opinions.Round) -> list[Text]:
    """The report in the moderator's language, then in the other; a note of when the map was computed, and a
    fresh computation asked for when votes came in since (web workers never compute it)."""
    result = opinion_results.report(ctx.conn, found.id)
    first = ctx.user.language
    messages = [Text("\n".join(opinion_results.report_lines(result, lang, most=MOST)))
                for lang in (first, "en" if first == "th" else "th")]
    computed, last_vote = result["computed_at"], opinions.last_vote_at(ctx.conn, found.id)
    when = datetime.fromtimestamp(computed, ctx.settings.tz).strftime("%H:%M") if computed else None
    if last_vote is not None and (computed is None or last_vote > computed):
        opinion_results.request(ctx.conn, found.id)
        note = say(ctx, "round_report_refreshing", time=when) if when else say(ctx, "round_report_computing")
    else:
        note = say(ctx, "round_report_as_of", time=when) if when else None
    return messages + ([Text(note)] if note else [])


# -- statements waiting ---------------------------------------------------------------------------------------------
def show_pending(ctx: Context) -> list:
    waiting = opinions.pending(ctx.conn)
    if not waiting:
        return [Text(say(ctx, "round_pending_none"))]
    titles = {}
    out = [Text(say(ctx, "round_pending_head", count=len(waiting)))]
    for s in waiting[:SHOWN]:
        if s.round_id not in titles:
            titles[s.round_id] = opinions.get_round(ctx.conn, s.round_id).title[ctx.user.language]
        out.append(Buttons(pending_text(ctx, s, titles[s.round_id]), [
            PostbackButton(say(ctx, "round_approve_button"), OPINION_DECIDE.build(statement=s.id, decision="approve")),
            PostbackButton(say(ctx, "round_reject_button"), OPINION_DECIDE.build(statement=s.id, decision="reject"))]))
    if len(waiting) > SHOWN:
        out.append(Text(say(ctx, "round_pending_more", more=len(waiting) - SHOWN)))
    return out


def pending_text(ctx: Context, s: opinions.Statement, title: str) -> str:
    flags = []
    if s.flags.get("rude"):
        flags.append(say(ctx, "round_flag_rude", words=", ".join(s.flags["rude"])))
    for near_id in s.flags.get("near", ())[:2]:
        near = opinions.statement(ctx.conn, near_id)
        if near is not None:
            flags.append(say(ctx, "round_flag_near", statement=near.id, text=near.text[ctx.user.language][:140]))
    return "\n".join([say(ctx, "round_pending_item", statement=s.id, round=s.round_id, title=title[:80],
                          text=s.text["th"]), *flags])


def decide(ctx: Context) -> Text:
    if not ctx.is_moderator:  # a button only moderators were sent (or one made up)
        return Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())
    statement_id, decision = ctx.match.statement, ctx.match.decision
    if statement_id is None or decision not in ("approve", "reject"):
        return Text(ctx.t("unknown_choice"))
    try:
        found = opinions.decide(ctx.conn, ctx.content.texts, statement_id, decision == "approve")
    except ValueError:
        before = opinions.statement(ctx.conn, statement_id)
        status = say(ctx, f"round_status_{before.status}") if before else "-"
        return Text(say(ctx, "round_already_decided", statement=statement_id, status=status), quick_replies=next_one(ctx))
    audit.record(ctx.conn, f"messenger:{ctx.user.psid}", f"opinion_statement_{decision}", f"#{statement_id}")
    return Text(say(ctx, f"round_{found.status}", statement=statement_id, round=found.round_id),
                quick_replies=next_one(ctx))


def next_one(ctx: Context) -> list[QuickReply]:
    waiting = len(opinions.pending(ctx.conn))
    return [QuickReply(say(ctx, "round_pending_button", count=waiting), OPINION_PENDING.build())] if waiting else []


def pending_tapped(ctx: Context):
    return show_pending(ctx) if ctx.is_moderator else Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())


def register(bot) -> None:
    bot.content.require_texts("round_usage", "round_opened", "round_closed", "round_pending_item", "round_approved",
                              "round_rejected", "opinion_round_opened", "opinion_start_button")
    bot.dispatcher.add(TextHandler(command, predicate=moderators_command(COMMAND), name="round_command"),
                       Priority.COMMAND)
    bot.dispatcher.add(PayloadHandler(OPINION_DECIDE, decide))
    bot.dispatcher.add(PayloadHandler(OPINION_PENDING, pending_tapped))
