"""Live votes in Messenger, and the moderators' poll commands.

Takes: "โหวต" / "vote" typed and the `VOTE` menu entry (the open polls, options as quick replies), the
`VOTE:<poll>:<option>` taps (one vote per person per poll, enforced by the database; a change where the poll
allows it; a polite "closed" with the results after closing), an option typed while one poll is open ("2", "B",
"ทีม B"), "ผลโหวต" / "poll results" (the results so far, or of the poll closed last), and, from people in MODERATOR_PSIDS only,
"/poll open ID", "/poll close ID", "/poll results ID" (anyone else typing them gets an ordinary reply).
Opening a poll sends it to the people who asked to be told of votes ("🔔 Tell me when open"), or for reminders of
its session or of everything, inside their 24-hour window and never under a message tag (Facebook forbids polls in tagged messages).
The console and `flask --app app poll ...` run polls too (bot/domain/polls.py).
"""
from __future__ import annotations

import re

from bot import textnorm
from bot.dispatcher import Context, EventHandler, MenuItem, PayloadHandler, Priority, TextHandler, simplify
from bot.domain import audit, polls
from bot.domain.payloads import REMIND, VOTE, VOTES
from bot.messenger.replies import QuickReply, Text
from bot.numbers import row_id
VOTE_WORDS = r"โหวต|ลงคะแนน|ร่วมโหวต|vote|voting|poll|polls"
RESULT_WORDS = re.compile(
    r"(?:ดู)?(?:ผล|ผลการ)(?:โหวต|คะแนน|โพล)(?:\s*(?:เป็น)?(?:ยังไง|ไง|อย่างไร|เป็นไง)(?:บ้าง)?)?|"
    r"(?:poll |vote |voting )?results?(?: so far)?|how(?:'s| is) the (?:vote|poll) going|who(?:'s| is) winning",
    re.IGNORECASE)
MODERATOR_COMMAND = re.compile(r"poll (open|close|results) (\d+)", re.IGNORECASE)


def show_open(ctx: Context):
    open_now = polls.open_polls(ctx.conn)
    if not open_now:
        return Text(ctx.t("vote_none_open"), quick_replies=[QuickReply(ctx.t("vote_notify_button"), REMIND.build(what="POLLS"))]
                    + ctx.menu())
    return [polls.ballot(ctx.content.texts, poll, ctx.lang) for poll in open_now[:3]]


def asks_for_results(text: str, ctx: Context) -> list[polls.Poll] | None:
    """The polls whose results "ผลโหวต" / "poll results" asks for: the open ones, else the one closed last. None
    before any poll opened ("results" may then mean the hackathon's: the understanding step reads it)."""
    if not RESULT_WORDS.fullmatch(text):
        return None
    return polls.open_polls(ctx.conn)[:3] or [p for p in polls.latest(ctx.conn, 10) if p.state == "closed"][:1] or None


def show_results(ctx: Context) -> Text:
    """The results so far of the open polls, else of the poll closed last."""
    shown = ctx.match
    blocks = [ctx.t("vote_results", question=p.question[ctx.lang], state=ctx.t(f"vote_results_{p.state}"),
                    results=polls.results_text(p, polls.tally(ctx.conn, p), ctx.lang)) for p in shown]
    return Text("\n\n".join(blocks)[:2000], quick_replies=ctx.menu())


def cast(ctx: Context) -> Text:
    poll_id, option = ctx.match.poll, ctx.match.option
    if poll_id is None or option is None:  # a payload we never sent (an old client, or made up)
        return Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())
    poll = polls.get(ctx.conn, poll_id)
    if poll is None or not (1 <= option <= len(poll.options)) or poll.state == "draft":
        return Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())
    return record(ctx, poll, option)


def typed_vote(text: str, ctx: Context) -> tuple[polls.Poll, int] | None:
    """(the poll, the option) when the text is an option of the one open poll: its number or letter as a comment
    would give it ("2", "ข้อ 2", "B") or its own words ("ทีม B", "2. ทีม B"). People answer a ballot by typing as
    often as by tapping; with several polls open a bare "2" is no vote (the text goes on to the others)."""
    open_now = polls.open_polls(ctx.conn)
    if len(open_now) != 1:
        return None
    poll = open_now[0]
    option = comment_option(text, poll)
    if option is None:
        named = {simplify(f"{o[lang]}"): i for i, o in enumerate(poll.options, 1) for lang in ("th", "en")}
        named.update({simplify(f"{i}. {o[lang]}"): i for i, o in enumerate(poll.options, 1) for lang in ("th", "en")})
        option = named.get(text)
    return (poll, option) if option is not None else None


def cast_typed(ctx: Context) -> Text:
    poll, option = ctx.match
    return record(ctx, poll, option)


def record(ctx: Context, poll: polls.Poll, option: int) -> Text:
    """The person's vote for `option` of `poll` (counted, changed or unchanged), or "closed" with the results."""
    if poll.state == "closed":
        return Text(ctx.t("vote_closed", results=polls.results_text(poll, polls.tally(ctx.conn, poll), ctx.lang)),
                    quick_replies=ctx.menu())
    voter = ctx.pseudonym(polls.voter_scope(poll.id))
    outcome = polls.vote(ctx.conn, poll, "messenger", voter, option)
    current = polls.choice(ctx.conn, poll, "messenger", voter)
    key = {"counted": "vote_counted", "changed": "vote_changed", "unchanged": "vote_unchanged"}[outcome]
    # The menu after a vote: the chat goes on (a vote was a dead end, issue 18).
    return Text(ctx.t(key, option=poll.options[current - 1][ctx.lang]), quick_replies=ctx.menu())


def moderator_command(ctx: Context) -> Text:
    action, number = ctx.match.groups()
    poll_id = row_id(number)
    poll = polls.get(ctx.conn, poll_id) if poll_id is not None else None
    if poll is None:
        return Text(f"poll {number[:30]} not found")
    who = f"messenger:{ctx.user.psid}"
    if action == "open":
        try:
            queued = polls.open_poll(ctx.conn, ctx.content.texts, poll_id)
        except ValueError as exc:
            return Text(str(exc))
        audit.record(ctx.conn, who, "poll_open", f"#{poll_id}, sent to {queued}")
        return Text(f"poll {poll_id} is open; sent to {queued} {'person' if queued == 1 else 'people'}")
    if action == "close":
        if not polls.set_state(ctx.conn, poll_id, "closed"):
            return Text(f"poll {poll_id} is not open")
        audit.record(ctx.conn, who, "poll_close", f"#{poll_id}")
        return Text(f"poll {poll_id} closed")
    return Text(f"{poll.question[ctx.lang]} ({poll.state})\n"
                + polls.results_text(poll, polls.tally(ctx.conn, poll), ctx.lang))


def simplified(ctx: Context) -> str:
    return " ".join(ctx.event.text.strip().lstrip("/").split()).lower()


def moderators_command(pattern: re.Pattern):
    """A TextHandler predicate: the match of `pattern` over a moderator's typed command ("/poll open 3", leading
    slash and spacing tidied), else None; from anyone else the text is ordinary (/poll, /qa, /round)."""
    def typed_command(text: str, ctx: Context):
        return pattern.fullmatch(simplified(ctx)) if ctx.is_moderator else None
    return typed_command


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
    bot.content.require_texts("vote_none_open", "vote_prompt", "vote_counted", "vote_closed")
    bot.dispatcher.add(TextHandler(moderator_command, predicate=moderators_command(MODERATOR_COMMAND), name="poll_command"), Priority.COMMAND)
    bot.dispatcher.add(PayloadHandler(VOTE, cast))
    # Exact, before comment invitations (general): a comment under a poll's video that is an option is a vote.
    bot.dispatcher.add(EventHandler({"comment"}, vote_by_comment, predicate=comment_polls, name="comment_vote"))
    bot.dispatcher.add(PayloadHandler(VOTES, show_open))
    bot.dispatcher.add(TextHandler(show_open, patterns=[VOTE_WORDS], name="vote_words"))
    bot.dispatcher.add(TextHandler(show_results, predicate=asks_for_results, name="vote_results"))
    bot.dispatcher.add(TextHandler(cast_typed, predicate=typed_vote, name="typed_vote"))
    bot.dispatcher.add_menu_item(MenuItem(VOTES.build(), {"th": "🗳️ โหวต", "en": "🗳️ Vote"}, order=40))
    bot.dispatcher.add_intent("vote", show_open)
