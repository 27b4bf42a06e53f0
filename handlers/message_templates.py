"""The Page's utility message templates: created from content/message_templates.toml, and Meta's verdicts on them.

Takes: `template_status` events (the `message_template_status_update` webhook field: Meta approved, rejected,
disabled or paused one of the Page's templates). The status is recorded; a template taken out of use raises an
operator alert and tells the moderators in MODERATOR_PSIDS. Never answered: it is Meta talking, not a person.
Service: in the lease holder, a look at the Page's template listing every minute while a template is PENDING
(a webhook can be missed); in local mode the templates are also created on the fake Graph API at start, so
that `make run` works end to end.
Operators: `flask --app app templates sync` (create what Meta does not have yet, print every status; safe to run
after every deployment) and `flask --app app templates list` (the statuses the bot knows, without asking Meta).
See bot/messenger/utility_messages.py for the platform rules and their sources.
"""
from __future__ import annotations

import logging
from datetime import datetime

import click
import requests
from flask import current_app
from flask.cli import with_appcontext

from bot.messenger import alerts, utility_messages
from bot.dispatcher import Context, EventHandler
from bot.messenger.graph import GraphClient, GraphError
from bot.logs import event as log_event
from bot.messenger.replies import Outgoing, Text
from bot.messenger.utility_messages import MessageTemplates

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


class TemplateWatcher:
    """A service of the lease holder: keeps the statuses of PENDING templates fresh (see the module docstring)."""

    every = 60.0

    def __init__(self, runtime):
        self.runtime = runtime

    def start(self) -> None:
        if self.runtime.settings.local_mode:
            self.runtime.jobs.run_once(self.create_locally, datetime.now(self.runtime.settings.tz), "templates:local-sync")
        self.runtime.jobs.run_repeating(self.refresh_pending, self.every, "templates:refresh")

    def stop(self) -> None:
        for name in self.runtime.jobs.names("templates:"):
            self.runtime.jobs.remove(name)

    def create_locally(self) -> None:
        """Local mode: the fake Graph API plays Meta, so the demo's templates exist and are approved in seconds."""
        runtime = self.runtime
        try:
            page_id = runtime.inbox.page_id or runtime.learn_page_id()
            lines = utility_messages.sync(runtime.store, runtime.client, page_id, runtime.content["message_templates"])
            log_event(log, "templates.synced", created=sum(line.action == "created" for line in lines))
        except GraphError as exc:
            log_event(log, "templates.not_synced", logging.WARNING, error=str(exc))

    def refresh_pending(self) -> None:
        runtime = self.runtime
        pending = runtime.store.conn.execute(
            "SELECT 1 FROM message_templates WHERE status = ? LIMIT 1", (utility_messages.PENDING,)).fetchone()
        if pending is None or not runtime.inbox.page_id:
            return
        try:
            changed = utility_messages.refresh(runtime.store, runtime.client, runtime.inbox.page_id)
        except GraphError as exc:
            log_event(log, "templates.not_refreshed", logging.WARNING, error=str(exc))
            return
        if changed:
            log_event(log, "templates.refreshed", changed=changed)


def _client_for(bot) -> GraphClient:
    """The Graph API to talk to: Facebook, or in local mode the fake of the bot that is running (as `chat` does),
    so that the templates exist where that bot sends its messages."""
    if not bot.settings.local_mode:
        return bot.client
    try:
        info = requests.get(f"http://{bot.settings.host}:{bot.settings.port}/local/info", timeout=2)
        if info.status_code == 200:
            return GraphClient(info.json()["graph_api_url"], "local-token")
    except requests.RequestException:
        pass
    return bot.client


@click.group("templates")
def templates_command() -> None:
    """Utility message templates (reminders and event updates outside the 24-hour window)."""


@templates_command.command("sync")
@with_appcontext
def sync_command() -> None:
    """Create the templates of content/message_templates.toml that the Page lacks, and print every status."""
    bot = current_app.extensions["bot"]
    client = _client_for(bot)
    try:
        page_id = bot.settings.page_id or str(client.page().get("id") or "")
        if not page_id:
            raise click.ClickException("Facebook did not say which Page this token is for: set PAGE_ID")
        lines = utility_messages.sync(bot.store, client, page_id, bot.content["message_templates"])
    except GraphError as exc:
        hint = " (the app needs the page_utility_messaging permission)" if exc.code in (10, 200, 3) else ""
        raise click.ClickException(f"Facebook refused: {exc}{hint}")
    for line in lines:
        extra = f"  {line.reason}" if line.reason else ""
        click.echo(f"{line.template:<18} {line.language:<6} {line.name:<28} {line.status:<12} {line.action}{extra}")
    waiting = [line for line in lines if line.status != utility_messages.APPROVED]
    if waiting:
        click.echo(f"{len(waiting)} not approved yet: Meta usually decides within seconds; the bot hears of it by "
                   "webhook (message_template_status_update). Check again with: flask --app app templates list", err=True)
    if any(line.action == "refused" for line in lines):
        raise SystemExit(1)


@templates_command.command("list")
@with_appcontext
def list_command() -> None:
    """The status of each template the content asks for, as the bot last heard it (no call to Facebook)."""
    bot = current_app.extensions["bot"]
    for t in utility_messages.current(bot.store.conn, bot.content["message_templates"]):
        click.echo(f"{t['template']:<18} {t['language']:<6} {t['name']:<28} {t['status']:<12} {t['reason']}")


def register(bot) -> None:
    bot.content.add_loader("message_templates", MessageTemplates.load)
    bot.dispatcher.add(EventHandler({"template_status"}, on_status_update, name="template_status"), group=0)
    bot.services.append(TemplateWatcher(bot))
    bot.commands.append(templates_command)
