"""Questions for the speakers, for operators: `flask --app app qa open|close|list|show|approve|dismiss|edit|answer|
pin|merge|export` (`--json` where it prints data). The console and "/qa ..." in Messenger do the same; the rules are
bot/domain/questions.py's, and every decision tells the asker (bot/domain/question_notices.py) in its transaction.
"""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from ..domain import audit, question_export, question_notices, question_text, questions
from ..numbers import ROW_ID
from ..web import runtime


@click.group("qa")
def qa_command() -> None:
    """Questions for the speakers (audience Q&A)."""


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
        click.echo(json.dumps({"session": session_id, "questions": [question_export.as_dict(q) for q in listed],
                               "duplicates": suggestions}, ensure_ascii=False))
        return
    for q in sorted(listed, key=lambda q: (q.status != "pending", -q.upvotes, q.id)):
        flag = f" ⚠ {q.flagged}" if q.flagged else ""
        click.echo(f"#{q.id:<5} {q.status:<9} 👍{q.upvotes:<4} {q.text}{flag}")
    for s in suggestions:
        click.echo(f"similar: #{s['question']} looks like #{s['duplicate_of']} ({s['similarity']:.2f}): "
                   f"flask --app app qa merge {s['question']} {s['duplicate_of']}")


def _decision(action: str, question_id: int, value=None, detail: str = "") -> tuple[questions.Question, int]:
    """A moderator's decision with its notices and its audit row (bot/domain/question_notices.py), or say why not."""
    bot = runtime()
    try:
        with bot.store.write() as conn:
            outcome = question_notices.decide(conn, bot.content.texts, action, question_id, value)
            audit.record(conn, "cli", f"qa_{action}", f"#{question_id} {detail}".strip())
    except ValueError as exc:
        raise click.ClickException(str(exc))
    bot.wake_sender()
    return outcome


@qa_command.command("approve")
@click.argument("question_id", type=ROW_ID)
@with_appcontext
def approve_command(question_id: int) -> None:
    _decision("approve", question_id)
    click.echo(f"question {question_id} is approved")


@qa_command.command("dismiss")
@click.argument("question_id", type=ROW_ID)
@click.option("--reason", required=True, help="Why (the asker is told).")
@with_appcontext
def dismiss_command(question_id: int, reason: str) -> None:
    _decision("dismiss", question_id, reason, reason[:100])
    click.echo(f"question {question_id} is dismissed")


@qa_command.command("edit")
@click.argument("question_id", type=ROW_ID)
@click.argument("text")
@with_appcontext
def edit_command(question_id: int, text: str) -> None:
    """Correct a question's typos (what its asker wrote is kept)."""
    _decision("edit", question_id, text)
    click.echo(f"question {question_id} is corrected")


@qa_command.command("answer")
@click.argument("question_id", type=ROW_ID)
@click.option("--at", "in_stream", default=None, help="Where in the stream it was answered (H:MM:SS or MM:SS).")
@with_appcontext
def answer_command(question_id: int, in_stream: str | None) -> None:
    _, told = _decision("answer", question_id, in_stream, f"at {in_stream}" if in_stream else "")
    click.echo(f"question {question_id} is answered; {told} people told")


@qa_command.command("pin")
@click.argument("question_id", type=ROW_ID, required=False)
@click.option("--unpin", "session_id", default=None, help="Unpin this session's question instead.")
@with_appcontext
def pin_command(question_id: int | None, session_id: str | None) -> None:
    if question_id is not None:
        _decision("pin", question_id)
        click.echo(f"question {question_id} is pinned")
        return
    if session_id is None:
        raise click.ClickException("give a question to pin, or --unpin SESSION")
    with runtime().store.write() as conn:
        questions.pin(conn, None, session_id)
        audit.record(conn, "cli", "qa_unpin", session_id)
    click.echo(f"nothing pinned in {session_id}")


@qa_command.command("merge")
@click.argument("duplicate_id", type=ROW_ID)
@click.argument("into_id", type=ROW_ID)
@with_appcontext
def merge_command(duplicate_id: int, into_id: int) -> None:
    """Merge a duplicate into another question (its upvotes move over, each person once)."""
    target, _ = _decision("merge", duplicate_id, into_id, f"into #{into_id}")
    click.echo(f"question {duplicate_id} is merged into {into_id} ({target.upvotes} upvotes)")


@qa_command.command("export")
@click.argument("session_id", required=False)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@with_appcontext
def export_command(session_id: str | None, fmt: str, as_json: bool) -> None:
    """Every question (of a session), with pseudonymous asker ids: the same person's questions share one."""
    bot = runtime()
    click.echo(question_export.export(bot.store.conn, bot.privacy.pseudonym, session_id, "json" if as_json else fmt),
               nl=False)


COMMANDS = (qa_command,)
