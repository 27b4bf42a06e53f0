"""The domain: the event's data and its rules, one owner module per table, the only place that table's SQL lives.

    registrations.py    registrations: who registered, their number, the waitlist
    subscriptions.py    subscriptions: what people asked to be told of
    reminders.py        when sessions are reminded, what the reminder says, who gets it
    agenda.py           the agenda organisers write (content), the event's topics
    polls.py            polls and votes, opening a poll to those who asked
    questions.py        qa_sessions, questions, question_upvotes: questions for the speakers, moderated, upvoted
    question_text.py, question_notices.py   rude words, names, near-duplicates; telling askers and upvoters
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
    opinions.py         opinion_rounds, opinion_statements, opinion_votes: rounds, the moderation queue, votes
    opinion_results.py  opinion_maps: each round's map as last computed, stable group names, the report
    opinion_seeds.py    seed statements per topic (content/opinions.toml)
    rude_words.py       rude words in what people write (flagged for moderators)

Handlers, scheduled jobs, the console, the public screens and the operators' commands use these; these use the
engine and the Messenger platform below them, never the other way round.
"""
from __future__ import annotations

from . import (agenda, audit, broadcasts, comment_invites, faq_misses, handover, moderators, polls, questions,
               registrations, reports, subscriptions)
from . import opinion_results, opinion_seeds, opinions

# Each owns its tables (their migrations: migrations.py), and says what they keep about people.
TABLE_OWNERS = (handover, registrations, comment_invites, subscriptions, polls, broadcasts, faq_misses, moderators,
                audit, questions, opinions, opinion_results)


def register(bot) -> None:
    """The domain's part of the running bot: what its tables keep about people, its content, its reports' texts."""
    for owner in TABLE_OWNERS:
        owner.declare(bot.privacy)
    bot.content.add_loader("agenda", lambda directory: agenda.Agenda.load(directory, bot.settings.tz))
    bot.content.require_texts(*reports.REQUIRED)
    bot.content.add_loader("opinion_seeds", opinion_seeds.load)
