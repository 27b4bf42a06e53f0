"""Questions for the speakers: asking in the chat (anonymously if one likes) or in a live comment, 👍 upvotes, and
the moderators' "/qa" command.

Takes:
- "ถามวิทยากร", "มีคำถาม", "ask a question" typed, the `QA_ASK` payload and the understanding step's
  "ask_speakers" intent: the form (bot/forms.py) asks which session (only when several take questions), the
  question (10 to 300 characters; everything typed is the question), then "show my first name" or "ask
  anonymously" (a typed first name is shown instead), then confirm. Nothing is public until a moderator approves
  it, unless the session auto-approves (bot/domain/questions.py);
- a comment on an open session's live video starting with "ถาม:", "Q:" or "?" (added; a deleted comment takes back
  its pending question): the question, and its commenter gets one private reply with a "follow in chat" button
  (`QA_FOLLOW`, carrying a token only the reply knows), which sends them the notices in the chat;
- "ดูคำถาม" / "see questions", `QA_LIST`, `QA_PAGE` and the "see_questions" intent: the approved questions of an
  open session, most upvoted first, ten cards a page, each with a 👍 button (`QA_UP`: one upvote per person per
  question, enforced by the database);
- from moderators (MODERATOR_PSIDS) only: "/qa open SESSION", "/qa close SESSION", "/qa list".
The console (bot/console/questions.py) and `flask --app app qa ...` (bot/cli/questions.py) moderate.
"""
from __future__ import annotations

import re

from bot import textnorm
from bot.dispatcher import Context, EventHandler, MenuItem, PayloadHandler, Priority, TextHandler
from bot.domain import audit, questions
from bot.domain.payloads import QA_ASK, QA_FOLLOW, QA_LIST, QA_PAGE, QA_UP
from bot.forms import Form, FormTexts, Step
from bot.messenger.replies import Buttons, Card, Cards, Outgoing, PostbackButton, QuickReply, Text

from .registration import AGREE_WORDS, valid_name
from .votes import moderators_command, video_ids

ASK_WORDS = (r"ถามวิทยากร|มีคำถาม|ส่งคำถาม|อยากถามวิทยากร|ถามคำถาม|ขอถามวิทยากร|ask a question|ask the speakers?|"
             r"ask the panel|question for the speakers?|i have a question for the speakers?")
SEE_WORDS = r"ดูคำถาม|ดูคำถามทั้งหมด|คำถามยอดนิยม|see questions|see the questions|top questions|audience questions"
COMMENT_QUESTION = re.compile(r"^\s*(?:ถาม\s*[:：]|q\s*[:：]|[?？])\s*(.+)$", re.IGNORECASE | re.DOTALL)
MODERATOR_COMMAND = re.compile(r"qa (open|close) ([a-z0-9-]{1,60})|qa (list)", re.IGNORECASE)
PAGE = 10  # cards in a carousel: Messenger's limit


def session_title(ctx: Context, session_id: str) -> str:
    session = ctx.content["agenda"].get(session_id)
    return session.title[ctx.lang] if session else session_id


def open_sessions(ctx: Context) -> list[questions.QaSession]:
    return questions.sessions(ctx.conn, "open")


# -- the form ----------------------------------------------------------------------------------------------------
def a_session(text: str, ctx: Context) -> str | None:
    ids = [s.session_id for s in open_sessions(ctx)]
    return text if text in ids else None


def a_question(text: str, ctx: Context) -> str | None:
    return questions.valid_text(text)


def a_name(text: str, ctx: Context) -> str | None:
    """"name" (the first name Facebook gave), "anon" -> "" (anonymous), or a typed first name."""
    if text == "anon":
        return ""
    if text == "name" and ctx.user.first_name:
        return ctx.user.first_name
    name = valid_name(text)
    return name.split()[0][:30] if name else None


def name_choices(ctx: Context) -> list[tuple[str, str]]:
    shown = [(f"👤 {ctx.user.first_name}"[:20], "name")] if ctx.user.first_name else []
    return shown + [(ctx.t("qa_anonymous"), "anon")]


def summary(ctx: Context, d: dict) -> str:
    return ctx.t("qa_summary", session=session_title(ctx, d["session"]), question=d["question"],
                 name=d["name"] or ctx.t("qa_anonymous_name"))


def submit(ctx: Context, d: dict):
    session = questions.get_session(ctx.conn, d["session"])
    if session is None or session.state != "open":  # it closed while the person wrote: say it was not sent
        return Text(ctx.t("qa_closed_unsent", question=d["question"][:300]), quick_replies=ctx.menu())
    question = questions.ask(ctx.conn, session, d["question"], ctx.user.psid, shown_name=d["name"] or None,
                             language=ctx.lang)
    key = "qa_sent_approved" if question.status == "approved" else "qa_sent_pending"
    return Text(ctx.t(key, number=question.id), quick_replies=[QuickReply(ctx.t("qa_more")[:20], QA_LIST.build())]
                + ctx.menu())


FORM = Form(
    name="question", key="ASKQ",
    texts=FormTexts(resume="qa_resume", cancelled="qa_cancelled", media="qa_media", cancel="qa_cancel",
                    confirm="qa_confirm", paused="qa_paused", name="form_name_question"),
    steps=(
        Step("session", "qa_ask_session", parse=a_session, error="qa_bad_session",
             choices=lambda ctx: [(session_title(ctx, s.session_id)[:20], s.session_id) for s in open_sessions(ctx)]),
        Step("question", "qa_ask_question", parse=a_question, error="qa_bad_question", edit="qa_edit_question",
             questions=False),
        Step("name", "qa_ask_name", parse=a_name, error="qa_bad_name", edit="qa_edit_name", choices=name_choices),
    ),
    summary=summary, done=submit, start_words=ASK_WORDS, confirm_words=AGREE_WORDS)


def start(ctx: Context):
    resumed = FORM.resume(ctx)
    if resumed is not None:
        return resumed
    open_now = open_sessions(ctx)
    if not open_now:
        return Text(ctx.t("qa_none_open"), quick_replies=ctx.menu())
    if len(open_now) == 1:
        return FORM.start(ctx, {"session": open_now[0].session_id}, at="question")
    return FORM.start(ctx)


# -- seeing and upvoting -------------------------------------------------------------------------------------------
def show(ctx: Context, session_id: str | None = None, start_at: int = 0):
    open_now = open_sessions(ctx)
    if session_id is None:
        if not open_now:
            return Text(ctx.t("qa_none_open"), quick_replies=ctx.menu())
        session_id = open_now[0].session_id
    listed = questions.of_session(ctx.conn, session_id, ("approved",), limit=PAGE + 1, offset=start_at)
    ask = QuickReply(ctx.t("qa_ask_button"), QA_ASK.build())
    others = [QuickReply(f"📋 {session_title(ctx, s.session_id)}"[:20], QA_PAGE.build(session=s.session_id, start=0))
              for s in open_now if s.session_id != session_id][:3]
    if not listed:
        return Text(ctx.t("qa_list_empty"), quick_replies=[ask, *others])
    cards = [Card(q.text, f"👍 {q.upvotes}" + (f" · {q.shown_name}" if q.shown_name else "")
                  + (" · ✅" if q.answered_at else ""),
                  buttons=[PostbackButton(ctx.t("qa_upvote_button"), QA_UP.build(question=q.id))])
             for q in listed[:PAGE]]
    more = ([QuickReply(ctx.t("qa_more")[:20], QA_PAGE.build(session=session_id, start=start_at + PAGE))]
            if len(listed) > PAGE else [])
    return [Text(ctx.t("qa_list_header", session=session_title(ctx, session_id))),
            Cards(cards, quick_replies=[*more, ask, *others])]


def show_tapped(ctx: Context):
    match = ctx.match
    session_id = getattr(match, "session", None) or None
    return show(ctx, session_id, getattr(match, "start", 0) or 0)


def upvote(ctx: Context) -> Text:
    question = questions.get(ctx.conn, ctx.match.question) if ctx.match.question is not None else None
    while question is not None and question.status == "merged" and question.merged_into:
        question = questions.get(ctx.conn, question.merged_into)  # a duplicate's button counts for the question kept
    session = questions.get_session(ctx.conn, question.session_id) if question else None
    if question is None or question.status != "approved" or session is None or session.state != "open":
        return Text(ctx.t("qa_upvote_unavailable"), quick_replies=[QuickReply(ctx.t("qa_more")[:20], QA_LIST.build())])
    counted = questions.upvote(ctx.conn, question, ctx.pseudonym(questions.voter_scope(question.session_id)),
                               ctx.user.psid)
    count = questions.get(ctx.conn, question.id).upvotes
    return Text(ctx.t("qa_upvoted" if counted else "qa_upvoted_already", count=count))


# -- live comments -------------------------------------------------------------------------------------------------
def comment_question(ctx: Context):
    value = ctx.event.raw.get("value") or {}
    if not value.get("comment_id") or value.get("verb") not in ("add", "remove"):
        return None
    if value.get("verb") == "remove":  # only a comment that asked (a vote's removal is the votes' to take)
        return "remove" if questions.by_comment(ctx.conn, str(value["comment_id"])) else None
    sessions = questions.sessions_for_video(ctx.conn, video_ids(value))
    match = COMMENT_QUESTION.match(ctx.event.text or "")
    return (sessions[-1], match.group(1)) if sessions and match else None


def follow_token(ctx: Context, question_id: int) -> str:
    return ctx.pseudonym("qa-follow", str(question_id))[-12:]


def ask_by_comment(ctx: Context):
    value = ctx.event.raw["value"]
    if ctx.match == "remove":
        questions.withdraw_comment(ctx.conn, str(value["comment_id"]))
        return None
    session, words = ctx.match
    text = questions.valid_text(words)
    if text is None:
        return None
    commenter = str((value.get("from") or {}).get("id") or ctx.event.psid)
    lang = textnorm.language_of(text) or "th"
    question = questions.ask(ctx.conn, session, text, commenter, shown_name=None, language=lang, channel="comment",
                             comment_id=str(value["comment_id"]))
    if question is None:
        return None  # a redelivered comment: asked and answered once
    texts = ctx.content.texts
    button = PostbackButton(texts.get("qa_follow_button", lang),
                            QA_FOLLOW.build(question=question.id, token=follow_token(ctx, question.id)))
    return Outgoing(Buttons(texts.get("qa_comment_reply", lang), [button]),
                    recipient={"comment_id": value["comment_id"]}, intent="PRIVATE_REPLY")


def follow(ctx: Context) -> Text:
    question_id = ctx.match.question
    if question_id is None or ctx.match.token != follow_token(ctx, question_id):
        return Text(ctx.t("unknown_choice"), quick_replies=ctx.menu())
    question = questions.follow(ctx.conn, question_id, ctx.user.psid)
    if question is None:
        return Text(ctx.t("qa_upvote_unavailable"), quick_replies=ctx.menu())
    return Text(ctx.t("qa_followed", question=question.text), quick_replies=[QuickReply(ctx.t("qa_more")[:20],
                                                                                       QA_LIST.build())])


# -- moderators ----------------------------------------------------------------------------------------------------
def moderator_command(ctx: Context) -> Text:
    action, session_id, listing = ctx.match.groups()
    who = f"messenger:{ctx.user.psid}"
    if listing:
        lines = [f"{s.session_id}: {s.state}, " + ", ".join(f"{k} {v}" for k, v in questions.counts(ctx.conn, s.session_id).items())
                 for s in questions.sessions(ctx.conn)]
        return Text("\n".join(lines) or "no Q&A sessions yet")
    session_id = session_id.lower()
    if ctx.content["agenda"].get(session_id) is None:
        return Text(f"session {session_id} is not in the agenda")
    if action.lower() == "open":
        questions.open_session(ctx.conn, session_id)
        audit.record(ctx.conn, who, "qa_open", session_id)
        return Text(f"Q&A is open for {session_id}")
    if not questions.close_session(ctx.conn, session_id):
        return Text(f"Q&A for {session_id} is not open")
    audit.record(ctx.conn, who, "qa_close", session_id)
    return Text(f"Q&A for {session_id} is closed")


# -- "my data" (bot/privacy.py): what the tables of bot/domain/questions.py hold for a person ----------------------
def questions_asked(conn, person, words) -> list[str]:
    """Each question the person asked, with the name shown and where it stands."""
    return [words.t("data_question", text=q.text[:300], name=q.shown_name or "-", status=words.t(f"data_question_{q.status}"))
            for q in questions.every(conn) if q.asker == person.psid]


def questions_upvoted(conn, person, words) -> list[str]:
    """How many questions keep the person's PSID as an upvoter, to tell them of the answer."""
    count = sum(1 for q in questions.every(conn) if q.asker != person.psid and person.psid in questions.to_tell(conn, q.id))
    return [words.t("data_upvotes", count=count)] if count else []


def register(bot) -> None:
    bot.forms.add(FORM)
    bot.privacy.show_with("questions", questions_asked)
    bot.privacy.show_with("question_upvotes", questions_upvoted)
    bot.content.require_texts("qa_none_open", "qa_ask_question", "qa_summary", "qa_sent_pending", "qa_comment_reply",
                              "qa_approved", "qa_dismissed", "qa_answered")
    bot.dispatcher.add(TextHandler(moderator_command, predicate=moderators_command(MODERATOR_COMMAND), name="qa_command"), Priority.COMMAND)
    # Before votes by comment (exact): a comment marked as a question is for the panel, whatever else the video takes.
    bot.dispatcher.add(EventHandler({"comment"}, ask_by_comment, predicate=comment_question, name="comment_question"),
                       Priority.COMMAND)
    bot.dispatcher.add(PayloadHandler(QA_ASK, start))
    bot.dispatcher.add(PayloadHandler((QA_LIST, QA_PAGE), show_tapped))
    bot.dispatcher.add(PayloadHandler(QA_UP, upvote))
    bot.dispatcher.add(PayloadHandler(QA_FOLLOW, follow))
    bot.dispatcher.add(TextHandler(start, patterns=[ASK_WORDS], name="ask_words"))
    bot.dispatcher.add(TextHandler(lambda ctx: show(ctx), patterns=[SEE_WORDS], name="see_questions_words"))
    bot.dispatcher.add_menu_item(MenuItem(QA_ASK.build(), {"th": "❓ ถามวิทยากร", "en": "❓ Ask the speakers"}, order=45,
                                          quick=False))
    bot.dispatcher.add_intent("ask_speakers", start, undo=FORM.undo_start)
    bot.dispatcher.add_intent("see_questions", lambda ctx: show(ctx))
