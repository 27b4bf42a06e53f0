"""`flask --app app chat`: talk to a local-mode bot in the terminal, as a citizen, through the real signed webhook.

Your lines go to `/webhook` as Messenger events; the bot's replies are read back from the fake Graph API and
printed, their buttons and quick replies numbered (a number picks one). With no bot running at HOST:PORT, the
command starts one itself.
"""
from __future__ import annotations

import click
import requests
from flask import current_app
from flask.cli import with_appcontext

from ..http_server import BackgroundServer
from ..messenger import simulator
from ..messenger.payloads import GET_STARTED
from ..web import runtime

# Messenger's e-mail and phone quick replies, as the local chat shows and answers them.
CONTACT_CHOICES = {"user_email": ("✉️ (your e-mail)", "citizen@example.com"),
                   "user_phone_number": ("📞 (your phone)", "+66812345678")}


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
            self.post(simulator.postback(psid, GET_STARTED.build(), "Get Started"))
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
    bot = runtime()
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
