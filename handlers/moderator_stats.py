"""Moderators' "/stats" in Messenger: the console dashboard's figures as one message.

Takes: "/stats" (or "stats") typed by a PSID in MODERATOR_PSIDS; from anyone else it is ordinary text.
"""
from __future__ import annotations

from bot.console.dashboard import dashboard_figures
from bot.dispatcher import COMMANDS, Context, TextHandler
from bot.messenger.replies import Text


def stats(ctx: Context) -> Text:
    f = dashboard_figures(ctx.conn)
    lines = [
        f"Registered {f['registered']} (waitlist {f['waitlisted']})",
        "By role: " + (", ".join(f"{r['role']} {r['n']}" for r in f["by_role"]) or "-"),
        "By topic: " + (", ".join(f"{r['topic']} {r['n']}" for r in f["by_topic"]) or "-"),
        f"Subscribers {f['subscribers']} · in the 24 h window {f['in_window']}",
        f"Outbox backlog {f['outbox_backlog']} · failed 24 h {f['outbox_failed']}",
        f"FAQ misses today {f['misses_today']} · waiting for a person {f['waiting_for_person']}",
    ]
    if f["poll"] is not None:
        lines.append(f"Open poll {f['poll']['id']}: " + ", ".join(f"{label} {n}" for label, n in f["poll_counts"]))
    return Text("📊 " + "\n".join(lines))


def register(bot) -> None:
    bot.dispatcher.add(TextHandler(stats, name="moderator_stats",
                                   predicate=lambda text, ctx: ctx.is_moderator and text == "stats"), group=COMMANDS)
