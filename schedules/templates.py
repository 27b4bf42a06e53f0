"""Keeping the utility templates' statuses fresh, in the lease holder: a look at the Page's template listing every
minute while a template is PENDING (a webhook can be missed); in local mode the templates are also created on the
fake Graph API at start, so that `make run` works end to end.
"""
from __future__ import annotations

import logging
from datetime import datetime

from bot.logs import event as log_event
from bot.messenger import utility_messages
from bot.messenger.graph import GraphError

log = logging.getLogger(__name__)


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
        if not utility_messages.any_pending(runtime.store.conn) or not runtime.inbox.page_id:
            return
        try:
            changed = utility_messages.refresh(runtime.store, runtime.client, runtime.inbox.page_id)
        except GraphError as exc:
            log_event(log, "templates.not_refreshed", logging.WARNING, error=str(exc))
            return
        if changed:
            log_event(log, "templates.refreshed", changed=changed)


def register(bot) -> None:
    bot.services.append(TemplateWatcher(bot))
