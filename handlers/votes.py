"""Live votes in Messenger, and the moderators' poll commands.

Takes: "โหวต" / "vote" typed and the `VOTE` menu entry (the open polls, options as quick replies), the
`VOTE:<poll>:<option>` taps (one vote per person per poll, enforced by the database; a change where the poll
allows it; a polite "closed" with the results after closing), and, from people in MODERATOR_PSIDS only,
"/poll open ID", "/poll close ID", "/poll results ID" (anyone else typing them gets an ordinary reply).
Opening a poll sends it to the people who asked to be told of votes ("🔔 Tell me when open"), or for reminders of
its session or of everything, inside their 24-hour window and never under a message tag (Facebook forbids polls in tagged messages).
Operators: `flask --app app poll create|open|close|results|list`.
"""
from __future__ import annotations

import json
import re

import click
from flask import current_app
from flask.cli import with_appcontext

from bot import audit, polls, textnorm
from bot.numbers import ROW_ID, row_id, small_int
from bot.dispatcher import COMMANDS, Context, EventHandler, MenuItem, PayloadHandler, TextHandler
from bot.messenger.outbox import enqueue
from bot.messenger.replies import Outgoing, QuickReply, Text

VOTE, PREFIX = "VOTE", "VOTE:"
VOTE_WORDS = r"โหวต|ลงคะแนน|ร่วมโหวต|vote|voting|poll|polls"
MODERATOR_COMMAND = re.compile(r"poll (open|close|results) (\d+)", re.IGNORECASE)


def results_text(poll: polls.Poll, counts: list[int], lang: str) -> str:
    total = sum(counts) or 1
    return "\n".join(f"{i}. {o[lang]}: {n} ({n * 100 / total:.0f}%)" for i, (o, n) in enumerate(zip(poll.options, counts), 1))


def ballot(texts, poll: polls.Poll, lang: str) -> Text:
    options = "\n".join(f"{i}. {o[lang]}" for i, o in enumerate(poll.options, 1))
    return Text(texts.get("vote_prompt", lang, question=poll.question[lang], options=options),
                quick_replies=[QuickReply(f"{i}. {o[lang]}", f"{PREFIX}{poll.id}:{i}") for i, o in enumerate(poll.options, 1)])


def open_poll(conn, content, poll_id: int) -> int:
    """Open a draft poll and queue it for the people who opted in; returns how many it was queued for."""
    if not polls.set_state(conn, poll_id, "open"):
        raise ValueError(f"poll {poll_id} is not a draft")
    poll = polls.get(conn, poll_id)
    rows = conn.execute(
        "SELECT DISTINCT s.psid, u.language FROM subscriptions s LEFT JOIN users u ON u.psid = s.psid "
        "WHERE s.kind IN ('all', 'polls') OR (s.kind = 'session' AND s.target = ?)", (poll.session_id or "",)).fetchall()
    queued = 0
    for row in rows:
        reply = ballot(content.texts, poll, row["language"] or "th")
        # UPDATE and no tag: outside the window the outbox records it as not sendable, as Facebook requires.
        queued += enqueue(conn, row["psid"], [Outgoing(reply, intent="UPDATE", dedup_key=f"poll:{poll_id}:{row['psid']}")],
                          batch=f"poll:{poll_id}")
    return queued


def show_open(ctx: Context):
    open_now = polls.open_polls(ctx.conn)
    if not open_now:
        return Text(ctx.t("vote_none_open"), quick_replies=[QuickReply(ctx.t("vote_notify_button"), "REMIND:POLLS")]
                    + ctx.menu())
    return [ballot(ctx.content.texts, poll, ctx.lang) for poll in open_now[:3]]


def cast(ctx: Context) -> Text:
    poll_text, _, option_text = ctx.event.payload[len(PREFIX):].partition(":")
    poll_id, option = row_id(poll_text), small_int(option_text, 1, polls.MAX_OPTIONS)
    if poll_id is None or option is None:  # a payload we never sent (an old client, or made up)
        return Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())
    poll = polls.get(ctx.conn, poll_id)
    if poll is None or not (1 <= option <= len(poll.options)) or poll.state == "draft":
        return Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())
    if poll.state == "closed":
        return Text(ctx.t("vote_closed", results=results_text(poll, polls.tally(ctx.conn, poll), ctx.lang)))
    voter = ctx.pseudonym(polls.voter_scope(poll.id))
    outcome = polls.vote(ctx.conn, poll, "messenger", voter, option)
    current = ctx.conn.execute("SELECT option FROM votes WHERE poll_id = ? AND channel = 'messenger' AND voter = ?",
                               (poll.id, voter)).fetchone()[0]
    key = {"counted": "vote_counted", "changed": "vote_changed", "unchanged": "vote_unchanged"}[outcome]
    return Text(ctx.t(key, option=poll.options[current - 1][ctx.lang]))


def moderator_command(ctx: Context) -> Text:
    action, number = MODERATOR_COMMAND.fullmatch(simplified(ctx)).groups()
    poll_id = row_id(number)
    poll = polls.get(ctx.conn, poll_id) if poll_id is not None else None
    if poll is None:
        return Text(f"poll {number[:30]} not found")
    who = f"messenger:{ctx.user.psid}"
    if action == "open":
        try:
            queued = open_poll(ctx.conn, ctx.content, poll_id)
        except ValueError as exc:
            return Text(str(exc))
        audit.record(ctx.conn, who, "poll_open", f"#{poll_id}, sent to {queued}")
        return Text(f"poll {poll_id} is open; sent to {queued} people")
    if action == "close":
        if not polls.set_state(ctx.conn, poll_id, "closed"):
            return Text(f"poll {poll_id} is not open")
        audit.record(ctx.conn, who, "poll_close", f"#{poll_id}")
        return Text(f"poll {poll_id} closed")
    return Text(f"{poll.question[ctx.lang]} ({poll.state})\n" + results_text(poll, polls.tally(ctx.conn, poll), ctx.lang))


def simplified(ctx: Context) -> str:
    return " ".join(ctx.event.text.strip().lstrip("/").split()).lower()


def is_moderator_command(text: str, ctx: Context) -> bool:
    return ctx.is_moderator and MODERATOR_COMMAND.fullmatch(simplified(ctx)) is not None


# "1", "#2", "ข้อ 3", "no. 4", "option 5", "A", "๒": a comment that is only an option is a vote.
COMMENT_VOTE = re.compile(r"^(?:#|ข้อ|ข้อที่|เลือก|เบอร์|no\.?|number|option|opt\.?)?\s*([0-9]{1,2}|[a-j])$", re.IGNORECASE)


def comment_option(text: str, poll: polls.Poll) -> int | None:
    words = " ".join(text.translate(textnorm.THAI_DIGITS).strip().strip("!.,").split())
    match = COMMENT_VOTE.match(words)
    if not match:
        return None
    token = match.group(1).lower()
    option = int(token) if token.isdigit() else ord(token) - ord("a") + 1
    return option if 1 <= option <= len(poll.options) else None


def video_ids(value: dict) -> set[str]:
    """The ids a comment's video or post goes by (Facebook writes post ids as PAGEID_POSTID)."""
    ids = set()
    for key in ("video_id", "post_id", "parent_id"):
        if value.get(key):
            ids.add(str(value[key]))
            ids.add(str(value[key]).split("_")[-1])
    return ids


def comment_polls(ctx: Context) -> bool:
    value = ctx.event.raw.get("value") or {}
    return bool(value.get("comment_id")) and bool(polls.polls_for_video(ctx.conn, video_ids(value)))


def vote_by_comment(ctx: Context) -> None:
    """Votes from live comments: added, edited (the new text counts) and removed (it no longer counts)."""
    value = ctx.event.raw["value"]
    comment_id, verb = str(value["comment_id"]), value.get("verb")
    commenter = str((value.get("from") or {}).get("id") or ctx.event.psid)
    for poll in polls.polls_for_video(ctx.conn, video_ids(value)):
        if verb == "remove":
            polls.withdraw_comment(ctx.conn, comment_id)
            continue
        option = comment_option(ctx.event.text, poll)
        if option is None:
            if verb == "edited":
                polls.withdraw_comment(ctx.conn, comment_id)
            continue
        voter = ctx.pseudonym(polls.voter_scope(poll.id), commenter)
        polls.vote(ctx.conn, poll, "comment", voter, option, comment_id=comment_id)
    return None


def register(bot) -> None:
    bot.store.add_migration(polls.schema)
    bot.store.add_migration(lambda db: polls.pseudonymise_voters(db, bot.settings.pseudonym_key))
    bot.privacy.not_personal("polls", why="questions and options moderators wrote")
    bot.privacy.personal("votes", erase=polls.erase_comment_links, purge=polls.forget_voters)
    bot.content.require_texts("vote_none_open", "vote_prompt", "vote_counted", "vote_closed")
    bot.dispatcher.add(TextHandler(moderator_command, predicate=is_moderator_command, name="poll_command"), group=COMMANDS)
    bot.dispatcher.add(PayloadHandler(PREFIX, cast), group=20)
    # Before comment invitations (group 0): a comment under a poll's video that is an option is a vote.
    bot.dispatcher.add(EventHandler({"comment"}, vote_by_comment, predicate=comment_polls, name="comment_vote"), group=-1)
    bot.dispatcher.add(PayloadHandler(VOTE, show_open), group=20)
    bot.dispatcher.add(TextHandler(show_open, patterns=[VOTE_WORDS], name="vote_words"), group=20)
    bot.dispatcher.add_menu_item(MenuItem(VOTE, {"th": "🗳️ โหวต", "en": "🗳️ Vote"}, order=40))
    bot.dispatcher.add_intent("vote", show_open)
    bot.commands.append(poll_command)


@click.group("poll")
def poll_command() -> None:
    """Polls for the live streams."""


@poll_command.command("create")
@click.option("--question", required=True, help='The question: "ไทย | English" (or one text for both).')
@click.option("--option", "options", multiple=True, required=True, help="An option (2 to 10), same format.")
@click.option("--session", "session_id", default=None, help="The agenda session it belongs to.")
@click.option("--video-id", default=None, help="The live video whose comments count as votes.")
@click.option("--no-change", is_flag=True, help="A vote cannot be changed once cast.")
@click.option("--close-after", type=click.FloatRange(min=0.01, max=polls.CLOSE_AFTER_MAX), default=None, help="Close by itself N minutes after opening.")
@with_appcontext
def create_poll(question, options, session_id, video_id, no_change, close_after) -> None:
    bot = current_app.extensions["bot"]
    try:
        with bot.store.write() as conn:
            poll_id = polls.create(conn, polls.bilingual_text(question), [polls.bilingual_text(o) for o in options],
                                   session_id=session_id, video_id=video_id, allow_change=not no_change,
                                   close_after_minutes=close_after)
            audit.record(conn, "cli", "poll_create", f"#{poll_id} {question[:100]}")
    except ValueError as exc:
        raise click.ClickException(str(exc))
    click.echo(poll_id)


@poll_command.command("open")
@click.argument("poll_id", type=ROW_ID)
@with_appcontext
def open_command(poll_id: int) -> None:
    bot = current_app.extensions["bot"]
    try:
        with bot.store.write() as conn:
            queued = open_poll(conn, bot.content, poll_id)
            audit.record(conn, "cli", "poll_open", f"#{poll_id}, sent to {queued}")
    except ValueError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"poll {poll_id} is open; queued for {queued} people")


@poll_command.command("close")
@click.argument("poll_id", type=ROW_ID)
@with_appcontext
def close_command(poll_id: int) -> None:
    bot = current_app.extensions["bot"]
    with bot.store.write() as conn:
        if not polls.set_state(conn, poll_id, "closed"):
            raise click.ClickException(f"poll {poll_id} is not open")
        audit.record(conn, "cli", "poll_close", f"#{poll_id}")
    click.echo(f"poll {poll_id} is closed")


@poll_command.command("results")
@click.argument("poll_id", type=ROW_ID)
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def results_command(poll_id: int, as_json: bool) -> None:
    bot = current_app.extensions["bot"]
    poll = polls.get(bot.store.conn, poll_id)
    if poll is None:
        raise click.ClickException(f"poll {poll_id} not found")
    counts = polls.tally(bot.store.conn, poll)
    if as_json:
        click.echo(json.dumps({"poll": poll.id, "state": poll.state, "question": poll.question,
                               "options": [{**o, "votes": n} for o, n in zip(poll.options, counts)],
                               "total": sum(counts)}, ensure_ascii=False))
    else:
        click.echo(f"{poll.question['th']} / {poll.question['en']} ({poll.state}, {sum(counts)} votes)")
        click.echo(results_text(poll, counts, "th"))


@poll_command.command("list")
@with_appcontext
def list_command() -> None:
    bot = current_app.extensions["bot"]
    for row in bot.store.conn.execute("SELECT id, state, question_th FROM polls ORDER BY id"):
        click.echo(f"{row['id']:>4}  {row['state']:<7} {row['question_th']}")
