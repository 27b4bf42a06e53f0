"""Operator commands: `flask --app app <command>`.

Core commands live here; features add theirs in their own modules through `register_command`.
"""
from __future__ import annotations

import json
import signal
import threading
import time

import click
import requests
from flask.cli import with_appcontext
from flask import Flask, current_app

from . import public_server
from .messenger import simulator
from .content import ContentError
from .messenger.graph import GraphError
from .http_server import BackgroundServer
from .messenger.replies import fit

GREETING_LIMIT = 160
PERSISTENT_MENU_LIMIT = 20
MENU_TITLE_LIMIT = 30
ICE_BREAKER_LIMIT = 4
PROFILE_FIELDS = ["get_started", "greeting", "persistent_menu", "ice_breakers"]
# Messenger's e-mail and phone quick replies, as the local chat shows and answers them.
CONTACT_CHOICES = {"user_email": ("✉️ (your e-mail)", "citizen@example.com"),
                   "user_phone_number": ("📞 (your phone)", "+66812345678")}


def register(app: Flask) -> None:
    app.cli.add_command(setup_profile)
    app.cli.add_command(chat)
    app.cli.add_command(worker)
    app.cli.add_command(reload_content)
    app.cli.add_command(public_server.serve_command)


# -- reload-content ------------------------------------------------------------------------------------------
@click.command("reload-content")
@with_appcontext
def reload_content() -> None:
    """Check the content files and make the running bot use them, without a restart."""
    bot = current_app.extensions["bot"]
    try:
        bot.content.load()  # already loaded once at start; this is the check of the files as they are now
    except ContentError as exc:
        raise click.ClickException(f"content not reloaded: {exc}")
    bot.content.publish(bot.store)
    summary = ", ".join(f"{name}: {len(getattr(value, 'faq', value).entries)} entries"
                        for name, value in bot.content.loaded().items() if hasattr(getattr(value, "faq", value), "entries"))
    click.echo(f"content checked ({summary or 'texts'}); the running bot switches to it within a second")


# -- worker ------------------------------------------------------------------------------------------------
@click.command("worker")
@with_appcontext
def worker() -> None:
    """Run the background work (inbox, outbox, scheduler) without serving HTTP, until stopped.

    gunicorn.conf.py starts one beside the web workers, so that acknowledging webhooks never waits behind
    sending. Safe to run more than one: they share a lease, and the others stand by.
    """
    bot = current_app.extensions["bot"]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    bot.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        bot.stop()


# -- setup-profile -----------------------------------------------------------------------------------------
def desired_profile(bot) -> dict:
    """Get Started, greeting, persistent menu and ice breakers, from the menu the features registered."""
    texts, items = bot.content.texts, bot.dispatcher.menu_items
    profile: dict = {
        "get_started": {"payload": "GET_STARTED"},
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
    bot = current_app.extensions["bot"]
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


# -- chat ----------------------------------------------------------------------------------------------
class LocalChat:
    """A citizen's side of Messenger in a terminal: signed webhooks in, the fake Graph API's messages out."""

    def __init__(self, bot_url: str, graph_url: str, app_secret: str, psid: str):
        self.psid = psid
        self.webhook = simulator.Webhook(bot_url, app_secret)
        self.graph = simulator.FakeGraph(graph_url)
        self.choices: list[dict] = []
        self.last_id = max((m["id"] for m in self.graph.messages()), default=0)

    def post(self, event: dict) -> None:
        response = self.webhook.post(simulator.page_body([event]))
        if response.status_code != 200:
            raise click.ClickException(f"the bot refused the message: HTTP {response.status_code} {response.text[:200]}")

    def say(self, line: str) -> bool:
        """Send what the person typed (a choice number, a /command or text). False to quit."""
        line, psid = line.strip(), self.psid
        if not line:
            return True
        if line in ("/quit", "/exit", "/q"):
            return False
        if line.isdigit() and 1 <= int(line) <= len(self.choices):
            choice = self.choices[int(line) - 1]
            if choice["type"] == "quick_reply" and choice.get("content_type") in CONTACT_CHOICES:
                value = CONTACT_CHOICES[choice["content_type"]][1]  # Messenger sends the profile's address itself
                self.post(simulator.quick_reply(psid, value, value))
            elif choice["type"] == "quick_reply":
                self.post(simulator.quick_reply(psid, choice["title"], choice["payload"]))
            elif choice["type"] == "postback":
                self.post(simulator.postback(psid, choice["payload"], choice["title"]))
            else:
                click.echo(f"      (opens {choice.get('url')})")
                return True
        elif line == "/start":
            self.post(simulator.postback(psid, "GET_STARTED", "Get Started"))
        elif line.startswith("/ref "):
            self.post(simulator.referral(psid, line[5:].strip()))
        elif line == "/like":
            self.post(simulator.sticker(psid, simulator.LIKE_STICKER))
        elif line == "/sticker":
            self.post(simulator.sticker(psid))
        elif line == "/image":
            self.post(simulator.image(psid))
        elif line == "/help":
            click.echo("  a number picks a choice; /start Get Started; /ref NAME an m.me link; /like /sticker /image; /quit")
            return True
        else:
            self.post(simulator.text(psid, line))
        self.show_replies()
        return True

    def show_replies(self, first_wait: float = 8.0, quiet: float = 0.8) -> list[dict]:
        """Print the bot's messages as they arrive, until it has been quiet for a moment."""
        received, wait = [], first_wait
        while True:
            batch = self.graph.messages(self.psid, after=self.last_id, wait=wait)
            if not batch:
                break
            if not received:  # a new answer: its choices replace the old numbering, as on a phone
                self.choices = []
            for message in batch:
                self.last_id = max(self.last_id, message["id"])
                received.append(message)
                self.render(message["body"], message.get("rendered"))
            wait = quiet
        if not received:
            click.echo("bot> (no answer)")
        return received

    def render(self, body: dict, rendered: str | None = None) -> None:
        """Print one Send API body; its buttons and quick replies become numbered choices. A utility message
        shows as the fake rendered it (its template's body with the parameters filled in)."""
        if "sender_action" in body:
            return
        message = body.get("message", {})

        def offer(choice: dict) -> int:
            self.choices.append(choice)
            return len(self.choices)

        if "text" in message:
            click.echo("bot> " + message["text"].replace("\n", "\n     "))
        payload = (message.get("attachment") or {}).get("payload") or {}
        if payload.get("template_type") == "utility_messages":
            click.echo("bot> " + (rendered or f"[utility message {payload.get('name')}]").replace("\n", "\n     "))
        elif payload.get("template_type") == "button":
            click.echo("bot> " + payload["text"].replace("\n", "\n     "))
            for button in payload["buttons"]:
                click.echo(f"     [{offer(button)}] {button['title']}")
        elif payload.get("template_type") == "generic":
            for element in payload["elements"]:
                click.echo(f"bot> ┌ {element['title']}")
                if element.get("subtitle"):
                    click.echo(f"     │ {element['subtitle']}")
                for button in element.get("buttons", []):
                    click.echo(f"     │ [{offer(button)}] {button['title']}")
        quick = message.get("quick_replies") or []
        if quick:
            click.echo("     " + "  ".join(f"[{offer({'type': 'quick_reply', **q})}] {q.get('title') or CONTACT_CHOICES[q['content_type']][0]}"
                                          for q in quick))


@click.command("chat")
@click.option("--as", "psid", default="1000000000000001", show_default=True, help="The PSID you chat as.")
@click.option("--url", default=None, help="A running local-mode bot (default: http://HOST:PORT; started here if none).")
@with_appcontext
def chat(psid: str, url: str | None) -> None:
    """Talk to the bot as a citizen, through the real signed webhook (local mode)."""
    bot = current_app.extensions["bot"]
    url = (url or f"http://{bot.settings.host}:{bot.settings.port}").rstrip("/")
    server = None
    try:
        info = requests.get(f"{url}/local/info", timeout=2)
        if info.status_code != 200:
            raise click.ClickException(f"{url} is not a bot in local mode; chat reads replies from the fake Graph API")
        graph_url = info.json()["graph_api_url"]
    except requests.ConnectionError:
        if not bot.settings.local_mode:
            raise click.ClickException("chat needs local mode (no PAGE_ACCESS_TOKEN): replies from Facebook cannot be read here")
        server = BackgroundServer(current_app._get_current_object()).start()
        url, graph_url = server.url, bot.client.base_url
        if bot.fake_graph is not None:  # template verdicts go to this bot's webhook
            bot.fake_graph.state.webhook = {"url": f"{url}/webhook", "app_secret": bot.settings.app_secret}
        bot.start()
        click.echo(f"(no bot at the configured address: started one here on {url})")
    session = LocalChat(url, graph_url, bot.settings.app_secret, psid)
    click.echo(f"Chatting as {psid}. A number picks a choice; /start, /help, /quit.")
    try:
        while True:
            try:
                line = input("you> ")
            except EOFError:
                break
            if not session.say(line):
                break
    finally:
        if server is not None:
            server.stop()
            bot.stop()
