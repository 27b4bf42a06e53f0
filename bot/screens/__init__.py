"""What the public opens on the web: one module per screen.

    poll_results.py  a poll's live results for the stream and its audience (`/live/<id>`, `.json`, `.csv`, `/events`)
    calendar.py      the agenda as a calendar feed (`/agenda.ics`, `/agenda/<id>.ics`)

A results-like screen is a `Screen` (bot/public_screens.py: its data, its page, who may see it), served to crowds
by bot/public_server.py; the domain says when its data changed (`public_screens.changed`). A plain page is a
blueprint. `register(bot)` adds them to the runtime's registries (`bot.screens`, `bot.blueprints`).
"""
from __future__ import annotations

from . import calendar, poll_results


def register(bot) -> None:
    bot.screens.add(poll_results.RESULTS)
    bot.blueprints.append(calendar.bp)
