"""Meta's verdicts on the Page's utility message templates, as they arrive.

Takes: `template_status` events (the `message_template_status_update` webhook field: Meta approved, rejected,
disabled or paused one of the Page's templates). The status is recorded; a template taken out of use raises an
operator alert and tells the moderators in MODERATOR_PSIDS. Never answered: it is Meta talking, not a person.
The job that asks Meta while a template is pending is schedules/templates.py; `flask --app app templates sync|list`
is bot/cli/page.py; the platform rules and their sources are bot/messenger/utility_messages.py.
"""
from __future__ import annotations

import logging

from bot.dispatcher import Context, EventHandler, Priority
from bot.logs import event as log_event
from bot.messenger import alerts, utility_messages
from bot.messenger.replies import Outgoing, Text

log = logging.getLogger(__name__)
OUT_OF_USE = ("REJECTED", "DISABLED", "PAUSED", "DELETED", "PENDING_DELETION", "ARCHIVED", "LIMIT_EXCEEDED", "FLAGGED")


def on_status_update(ctx: Context) -> None:
    value = ctx.event.raw.get("value") or {}
    if not utility_messages.on_status_update(ctx.conn, value):
        log_event(log, "templates.status_not_understood", logging.WARNING, value=str(value)[:300])
        return None
    name, status = value.get("message_template_name"), str(value.get("event")).upper()
    log_event(log, "templates.status", template_name=name, language=value.get("message_template_language"), status=status,
              reason=value.get("reason"))
    if status in OUT_OF_USE:
        message = (f"Meta set the utility template {name} ({value.get('message_template_language')}) to {status}"
                   f" (reason: {value.get('reason') or '-'}): registered participants outside the 24-hour window get "
                   "no reminders or updates in that language until a template is approved again.")
        if alerts.record(ctx.conn, "template_status", f"status:{name}:{value.get('message_template_language')}:"
                         f"{status}:{int(ctx.now // 3600)}", message, ctx.now):
            for moderator in sorted(ctx.settings.moderator_psids):
                ctx.send(Outgoing(Text(f"⚠️ {message}"), recipient={"id": moderator}, intent="UPDATE",
                                  dedup_key=f"template-alert:{name}:{status}:{int(ctx.now // 3600)}:{moderator}"))
    return None


def register(bot) -> None:
    bot.dispatcher.add(EventHandler({"template_status"}, on_status_update, name="template_status"), Priority.EXACT)
