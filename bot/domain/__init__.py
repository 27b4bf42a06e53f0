"""The domain: the event's data and its rules, one owner module per table, the only place that table's SQL lives.

    registrations.py    registrations: who registered, their number, the waitlist
    subscriptions.py    subscriptions: what people asked to be told of
    reminders.py        when sessions are reminded, what the reminder says, who gets it
    agenda.py           the agenda organisers write (content), the event's topics
    polls.py            polls and votes, opening a poll to those who asked
    broadcasts.py       broadcasts: drafts, sending in chunks, progress, results
    segments.py         who a broadcast goes to, and how many it can reach
    handover.py         handover: people waiting for a moderator
    conversations.py    a person's conversation as moderators read it, and a moderator's reply
    faq_misses.py       faq_misses: what the bot could not answer well
    content_edit.py     organisers' edits to content/ from the console
    comment_invites.py  comment_invites: one private reply per commenter and post
    moderators.py       moderators, console_sessions, login_failures: console accounts and log-in rules
    audit.py            audit_log: who did what
    migrations.py       every change to the databases, in order, each once (recorded in `migrations`)
    stats.py            the figures moderators watch
    contact.py, clock.py   e-mail and phone numbers as people type them; moments as moderators read them
    reports/            the event's summary for agencies (Excel, PDF)
    opinion_map.py      the analysis of opinion rounds

Handlers, scheduled jobs, the console, the public screens and the operators' commands use these; these use the
engine and the Messenger platform below them, never the other way round.
"""
from __future__ import annotations

from . import (agenda, audit, broadcasts, comment_invites, faq_misses, handover, moderators, polls, registrations,
               reports, subscriptions)

# Each owns its tables (their migrations: migrations.py), and says what they keep about people.
TABLE_OWNERS = (handover, registrations, comment_invites, subscriptions, polls, broadcasts, faq_misses, moderators,
                audit)


def register(bot) -> None:
    """The domain's part of the running bot: what its tables keep about people, its content, its reports' texts."""
    for owner in TABLE_OWNERS:
        owner.declare(bot.privacy)
    bot.content.add_loader("agenda", lambda directory: agenda.Agenda.load(directory, bot.settings.tz))
    bot.content.require_texts(*reports.REQUIRED)
