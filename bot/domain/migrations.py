"""Every change to the databases, in the order it runs, each once: the list the store runs at every start
(`Store.migrate`), recording each step's name in the table `migrations` in the transaction of its change. A
database of any earlier release upgrades on start: it runs the steps it has not recorded (tests/test_migrations.py
opens one made by the last release and finds its data intact).

The steps' code is in the tables' owners, the only place a table's SQL lives; this is the order. The steps up to
"022" describe the schema as it was when the list began to be recorded (November 2026): they check before they
change ("create if missing", "add the column if missing"), so they also bring a database of an earlier release,
which has no record, to the same schema. A change from now on is a new step at the end of its list, named
"NNN what it does", its code beside the table's other SQL; a name, once released, is never changed or reused.
"""
from __future__ import annotations

from .. import form_state, inbox, lease, public_screens, store
from ..messenger import alerts, outbox, people, sender, utility_messages
from ..store import Migration
from . import (audit, broadcasts, comment_invites, faq_misses, handover, moderators, polls, questions, registrations,
               subscriptions)
from . import opinion_results, opinions


def main(pseudonym_key: str | None) -> list[Migration]:
    """The main database's steps (`pseudonym_key`: the secret voters' keys are made with, bot/privacy.py)."""
    return [
        Migration("001 users", people.schema),
        Migration("002 inbox", inbox.schema),
        Migration("003 outbox", outbox.schema),
        Migration("004 outbox: queued rows by priority", outbox.queued_by_priority),
        Migration("005 leases", lease.schema),
        Migration("006 runtime state", store.state_schema),
        Migration("007 send rate", sender.schema),
        Migration("008 operator alerts", alerts.schema),
        Migration("009 utility message templates", utility_messages.schema),
        Migration("010 public screen changes", public_screens.schema),
        Migration("011 forms in progress", form_state.schema),
        Migration("012 hand-over", handover.schema),
        Migration("013 registrations", registrations.schema),
        Migration("014 comment invitations", comment_invites.schema),
        Migration("015 subscriptions", subscriptions.schema),
        Migration("016 polls and votes", polls.schema),
        Migration("017 votes: the comment that cast them", polls.comment_votes),
        Migration("018 votes: voters as pseudonyms", lambda db: polls.pseudonymise_voters(db, pseudonym_key)),
        Migration("019 broadcasts", broadcasts.schema),
        Migration("020 FAQ misses", faq_misses.schema),
        Migration("021 moderators, their sessions and failed log-ins, the audit log", lambda db: (
            moderators.schema(db), audit.schema(db))),
        Migration("022 audit log: whom an entry is about", audit.subjects),
        Migration("023 questions for the speakers: Q&A sessions, questions, upvotes", questions.schema),
        Migration("024 opinion rounds, their statements and votes", opinions.schema),
        Migration("025 opinion maps as last computed", opinion_results.schema),
        Migration("026 users: the language of the words they last typed", people.written_language_column),
        Migration("027 forms in progress: the forms put aside under another", form_state.waiting_column),
        Migration("028 users: announcements stopped (\"stop\")", people.announcements_column),
    ]


# The webhook's own database beside the main one (bot/inbox.py).
STAGING = [Migration("001 incoming events", inbox.staging_schema)]
