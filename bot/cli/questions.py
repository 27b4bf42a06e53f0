"""Questions for the speakers, for operators: `flask --app app qa open|close|list|show|approve|dismiss|edit|answer|
pin|merge|export` (`--json` where it prints data). The console and "/qa ..." in Messenger do the same; the rules are
bot/domain/questions.py's, and every decision tells the asker (bot/domain/question_notices.py) in its transaction.
"""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from ..csv_export import csv_document
from ..domain import audit, question_notices, question_text, questions
from ..numbers import ROW_ID
from ..web import runtime


@click.group("qa")
def qa_command() -> None:
    """Questions for the speakers (audience Q&A)."""


def _decide(action: str, detail: str, change) -> questions.Question:
    """Run `change(conn)` (a domain decision that returns the question) with its audit row, or say why not."""
    bot = runtime()
    try:
        with bot.store.write() as conn:
            question = change(conn)
            audit.record(conn, "cli", action, detail)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    bot.wake_sender()
    return question


@qa_command.command("open")
@click.argument("session_id")
@click.option("--video-id", default=None, help="The live video whose comments may ask (\"ถาม:\", \"Q:\", \"?\").")
@click.option("--auto-approve/--moderate", default=None, help="Questions go on screen without a moderator (default: moderate).")
@with_appcontext
def open_command(session_id: str, video_id: str | None, auto_approve: bool | None) -> None:
    bot = runtime()
    if bot.content["agenda"].get(session_id) is None:
        raise click.ClickException(f"session {session_id} is not in the agenda (flask --app app agenda)")
    with bot.store.write() as conn:
        questions.open_session(conn, session_id, video_id=video_id, auto_approve=auto_approve)
        audit.record(conn, "cli", "qa_open", f"{session_id} video={video_id} auto_approve={auto_approve}")
    click.echo(f"Q&A is open for {session_id}")


@qa_command.command("close")
@click.argument("session_id")
@with_appcontext
def close_command(session_id: str) -> None:
    bot = runtime()
    with bot.store.write() as conn:
        if not questions.close_session(conn, session_id):
            raise click.ClickException(f"Q&A for {session_id} is not open")
        audit.record(conn, "cli", "qa_close", session_id)
    click.echo(f"Q&A for {session_id} is closed")


@qa_command.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def list_command(as_json: bool) -> None:
    """The Q&A sessions and their figures."""
    conn = runtime().store.conn
    rows = [{"session": s.session_id, "state": s.state, "video_id": s.video_id, "auto_approve": s.auto_approve,
             "pinned": s.pinned, **questions.counts(conn, s.session_id)} for s in questions.sessions(conn)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        click.echo(f"{r['session']:<22} {r['state']:<7} questions {r['questions']}, pending {r['pending']}, approved "
                   f"{r['approved']}, answered {r['answered']}, upvotes {r['upvotes']}")


def as_dict(q: questions.Question) -> dict:
    """A question for operators: the asker only as shown (a name they chose, or none), never their id."""
    return {"id": q.id, "session": q.session_id, "text": q.text, "original": q.original, "status": q.status,
            "reason": q.reason, "name": q.shown_name, "channel": q.channel, "flagged": q.flagged,
            "merged_into": q.merged_into, "upvotes": q.upvotes, "answered": q.answered_at is not None,
            "answered_in_stream": q.answered_in_stream, "created_at": q.created_at}


@qa_command.command("show")
@click.argument("session_id")
@click.option("--status", type=click.Choice(questions.STATUSES), default=None, help="Only questions in this state.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def show_command(session_id: str, status: str | None, as_json: bool) -> None:
    """A session's questions (the queue first), with suggested duplicates to merge."""
    conn = runtime().store.conn
    listed = questions.of_session(conn, session_id, (status,) if status else questions.STATUSES)
    live = {q.id: q.text for q in listed if q.status in ("pending", "approved")}
    suggestions = [{"question": a, "duplicate_of": b, "similarity": s} for a, b, s in question_text.similar_pairs(live)]
    if as_json:
        click.echo(json.dumps({"session": session_id, "questions": [as_dict(q) for q in listed],
                               "duplicates": suggestions}, ensure_ascii=False))
        return
    for q in sorted(listed, key=lambda q: (q.status != "pending", -q.upvotes, q.id)):
        flag = f" ⚠ {q.flagged}" if q.flagged else ""
        click.echo(f"#{q.id:<5} {q.status:<9} 👍{q.upvotes:<4} {q.text}{flag}")
    for s in suggestions:
        click.echo(f"similar: #{s['question']} looks like #{s['duplicate_of']} ({s['similarity']:.2f}): "
                   f"flask --app app qa merge {s['question']} {s['duplicate_of']}")


@qa_command.command("approve")
@click.argument("question_id", type=ROW_ID)
@with_appcontext
def approve_command(question_id: int) -> None:
    texts = runtime().content.texts
    _decide("qa_approve", f"#{question_id}", lambda conn: _then(questions.approve(conn, question_id),
                                                                 lambda q: question_notices.approved(conn, texts, q)))
    click.echo(f"question {question_id} is approved")


@qa_command.command("dismiss")
@click.argument("question_id", type=ROW_ID)
@click.option("--reason", required=True, help="Why (the asker is told).")
@with_appcontext
def dismiss_command(question_id: int, reason: str) -> None:
    texts = runtime().content.texts
    _decide("qa_dismiss", f"#{question_id}: {reason[:100]}", lambda conn: _then(
        questions.dismiss(conn, question_id, reason), lambda q: question_notices.dismissed(conn, texts, q)))
    click.echo(f"question {question_id} is dismissed")


@qa_command.command("edit")
@click.argument("question_id", type=ROW_ID)
@click.argument("text")
@with_appcontext
def edit_command(question_id: int, text: str) -> None:
    """Correct a question's typos (what its asker wrote is kept)."""
    _decide("qa_edit", f"#{question_id}", lambda conn: questions.edit(conn, question_id, text))
    click.echo(f"question {question_id} is corrected")


@qa_command.command("answer")
@click.argument("question_id", type=ROW_ID)
@click.option("--at", "in_stream", default=None, help="Where in the stream it was answered (H:MM:SS or MM:SS).")
@with_appcontext
def answer_command(question_id: int, in_stream: str | None) -> None:
    texts = runtime().content.texts
    told = []
    _decide("qa_answer", f"#{question_id} at {in_stream}", lambda conn: _then(
        questions.answer(conn, question_id, in_stream), lambda q: told.append(question_notices.answered(conn, texts, q))))
    click.echo(f"question {question_id} is answered; {sum(told)} people told")


@qa_command.command("pin")
@click.argument("question_id", type=ROW_ID, required=False)
@click.option("--unpin", "session_id", default=None, help="Unpin this session's question instead.")
@with_appcontext
def pin_command(question_id: int | None, session_id: str | None) -> None:
    if question_id is None and session_id is None:
        raise click.ClickException("give a question to pin, or --unpin SESSION")
    _decide("qa_pin", f"#{question_id}" if question_id else f"unpin {session_id}",
            lambda conn: questions.pin(conn, question_id, session_id))
    click.echo(f"question {question_id} is pinned" if question_id else f"nothing pinned in {session_id}")


@qa_command.command("merge")
@click.argument("duplicate_id", type=ROW_ID)
@click.argument("into_id", type=ROW_ID)
@with_appcontext
def merge_command(duplicate_id: int, into_id: int) -> None:
    """Merge a duplicate into another question (its upvotes move over, each person once)."""
    target = _decide("qa_merge", f"#{duplicate_id} into #{into_id}", lambda conn: questions.merge(conn, duplicate_id, into_id))
    click.echo(f"question {duplicate_id} is merged into {into_id} ({target.upvotes} upvotes)")


@qa_command.command("export")
@click.argument("session_id", required=False)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@with_appcontext
def export_command(session_id: str | None, fmt: str, as_json: bool) -> None:
    """Every question (of a session), with pseudonymous asker ids: the same person's questions share one."""
    click.echo(export(runtime(), session_id, "json" if as_json else fmt), nl=False)


def export(bot, session_id: str | None, fmt: str) -> str:
    conn = bot.store.conn
    listed = [q for q in questions.every(conn) if session_id is None or q.session_id == session_id]
    rows = [{**as_dict(q), "asker": bot.privacy.pseudonym("qa-export", q.asker)[3:15] if q.asker else None}
            for q in listed]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False) + "\n"
    fields = list(rows[0]) if rows else ["id"]
    return csv_document(fields, ([r[f] for f in fields] for r in rows))


def _then(question: questions.Question, tell) -> questions.Question:
    tell(question)
    return question


COMMANDS = (qa_command,)
