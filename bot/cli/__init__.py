"""Operators' commands: `flask --app app <command>`, one module per area, each using the domain (bot/domain/).

    runner.py         worker, reload-content, public-screens
    chat.py           chat (a citizen's side of Messenger in the terminal)
    page.py           setup-profile, templates sync|list (what the Page has at Facebook)
    registrations.py  export-registrations, registrations
    agenda.py         agenda, reminders
    polls.py          poll create|open|close|results|list
    broadcasts.py     broadcast, broadcast-status, broadcast-cancel, broadcasts
    handover.py       handover list|release
    faq.py            faq-misses
    privacy.py        purge
    report.py         report
    moderators.py     add-moderator, remove-moderator

`register(bot)` puts them on the runtime's registry (`bot.commands`); create_app adds that registry to `app.cli`.
"""
from __future__ import annotations

from . import agenda, broadcasts, chat, faq, handover, moderators, page, polls, privacy, registrations, report, runner


def register(bot) -> None:
    bot.commands.extend([
        runner.worker, runner.reload_content, runner.public_screens, chat.chat, page.setup_profile,
        page.templates_command, *registrations.COMMANDS, agenda.print_agenda, agenda.pending_reminders,
        polls.poll_command, broadcasts.broadcast_command, broadcasts.broadcast_status, broadcasts.broadcast_cancel,
        broadcasts.list_broadcasts, handover.handover_command, faq.faq_misses_command, privacy.purge_command,
        report.report_command, moderators.add_moderator, moderators.remove_moderator,
    ])
