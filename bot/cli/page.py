"""What the Page has at Facebook: its Messenger profile and its utility message templates.

    flask --app app setup-profile [--dry-run]   Get Started, greeting, persistent menu, ice breakers (only what changed)
    flask --app app templates sync              create the templates of content/message_templates.toml the Page lacks
    flask --app app templates list              their statuses as the bot last heard them (no call to Facebook)
"""
from __future__ import annotations

import json

import click
import requests
from flask.cli import with_appcontext

from ..messenger import utility_messages
from ..messenger.graph import GraphClient, GraphError
from ..messenger.payloads import GET_STARTED
from ..messenger.replies import fit
from ..web import runtime

GREETING_LIMIT = 160
PERSISTENT_MENU_LIMIT = 20
MENU_TITLE_LIMIT = 30
ICE_BREAKER_LIMIT = 4
PROFILE_FIELDS = ["get_started", "greeting", "persistent_menu", "ice_breakers"]


# -- setup-profile -----------------------------------------------------------------------------------------
def desired_profile(bot) -> dict:
    """Get Started, greeting, persistent menu and ice breakers, from the menu the features registered."""
    texts, items = bot.content.texts, bot.dispatcher.menu_items
    profile: dict = {
        "get_started": {"payload": GET_STARTED.build()},
        "greeting": [
            {"locale": "default", "text": fit(texts.raw("profile_greeting", "th"), GREETING_LIMIT)},
            {"locale": "en_US", "text": fit(texts.raw("profile_greeting", "en"), GREETING_LIMIT)},
        ],
        "persistent_menu": [
            {
                "locale": locale,
                "composer_input_disabled": False,
                "call_to_actions": [
                    {"type": "postback", "title": fit(item.title.get(lang) or item.title["th"], MENU_TITLE_LIMIT),
                     "payload": item.payload}
                    for item in items[:PERSISTENT_MENU_LIMIT]
                ],
            }
            for locale, lang in (("default", "th"), ("en_US", "en"))
        ],
    }
    breakers = bot.dispatcher.ice_breakers[:ICE_BREAKER_LIMIT]
    if breakers:
        profile["ice_breakers"] = [
            {"locale": locale,
             "call_to_actions": [{"question": fit(i.question.get(lang) or i.question["th"], 80), "payload": i.payload}
                                 for i in breakers]}
            for locale, lang in (("default", "th"), ("en_US", "en"))
        ]
    return profile


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@click.command("setup-profile")
@click.option("--dry-run", is_flag=True, help="Print the profile instead of sending it.")
@with_appcontext
def setup_profile(dry_run: bool) -> None:
    """Set Get Started, greeting, persistent menu and ice breakers on the Page (only what changed)."""
    bot = runtime()
    desired = desired_profile(bot)
    if dry_run:
        click.echo(json.dumps(desired, ensure_ascii=False, indent=2))
        return
    try:
        data = bot.client.messenger_profile(PROFILE_FIELDS).get("data") or [{}]
        current = data[0] if data else {}
        changed = {k: v for k, v in desired.items() if _canonical(current.get(k)) != _canonical(v)}
        if changed:
            bot.client.set_messenger_profile(changed)
    except GraphError as exc:
        raise click.ClickException(f"Facebook refused the profile: {exc}")
    if bot.settings.local_mode:
        click.echo("local mode: the profile went to the fake Graph API, not to Facebook")
    if changed:
        click.echo("updated: " + ", ".join(sorted(changed)))
    else:
        click.echo("unchanged: the Page already has this profile")


# -- utility message templates -------------------------------------------------------------------------------
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
    bot = runtime()
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
    bot = runtime()
    for t in utility_messages.current(bot.store.conn, bot.content["message_templates"]):
        click.echo(f"{t['template']:<18} {t['language']:<6} {t['name']:<28} {t['status']:<12} {t['reason']}")
