"""OpenGov Event Bot: the Flask app factory, and `python app.py` to serve it.

    create_app()                   settings from the environment and .env
    create_app({"DATABASE_PATH": ...})   or a mapping / a Settings object (tests)

Without PAGE_ACCESS_TOKEN the bot runs in local mode: it starts the fake Graph API on 127.0.0.1 and talks to
it, so the whole bot works on a machine with no Facebook account.
"""
from __future__ import annotations

import functools
import logging
import sys
from typing import Mapping

from flask import Flask

import handlers
import schedules
from bot import cli, console, domain, logs, public_server, screens, web
from bot.config import ConfigError, Settings
from bot.domain import migrations
from bot.content import Content, ContentError
from bot.dispatcher import Dispatcher
from bot.http_server import AsgiServer
from bot.keyfile import kept_secret
from bot.messenger import web_simulator, webhook
from bot.messenger.fake_graph import FakeGraphServer
from bot.messenger.graph import GraphClient
from bot.numbers import BoundedIntConverter
from bot.runtime import BotRuntime
from bot.store import Store

log = logging.getLogger("bot")


def create_app(settings: Settings | Mapping[str, str] | None = None, graph: GraphClient | None = None) -> Flask:
    """`graph`: the Graph API client to use instead of one for GRAPH_API_URL (the in-process test fixture passes
    the fake Graph API's own, answered without a socket)."""
    if settings is None:
        # Settings from the environment: this is a real start (python app.py, gunicorn, flask CLI), so a bad
        # setting or content file stops it with one line naming it, not a traceback.
        try:
            return _create_app(Settings.from_env())
        except (ConfigError, ContentError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(2)
    if not isinstance(settings, Settings):
        settings = Settings.from_mapping(settings)
    return _create_app(settings, graph)


def _create_app(settings: Settings, graph: GraphClient | None = None) -> Flask:
    if not settings.pseudonym_key:  # resolved before the logs are set up, so that they scrub it too
        settings = settings.with_overrides(pseudonym_key=kept_secret(settings.database_path.parent / "pseudonym.key"))
    logs.configure(settings.log_level, settings.secrets())

    fake = None
    if settings.local_mode:
        fake = FakeGraphServer().start()
        settings = settings.with_overrides(graph_api_url=fake.url)
        # Meta tells the bot of its verdict on a template through the webhook: so does the fake.
        fake.state.webhook = {"url": f"{settings.base_url}/webhook", "app_secret": settings.app_secret}
        logs.event(log, f"local mode: no PAGE_ACCESS_TOKEN, so replies go to the fake Graph API at {fake.url}",
                   mode="local", graph_api_url=fake.url)

    store = Store(settings.database_path)
    # The webhook's own staging database beside the main one (see bot/inbox.py).
    path = settings.database_path
    staging = Store(path.with_name(f"{path.stem}.ingest{path.suffix or '.sqlite3'}"))
    content = Content(settings.content_dir)
    client = graph or GraphClient(settings.graph_api_url, settings.page_access_token or "local-token",
                                  timeout=settings.graph_timeout_seconds, pool_size=settings.effective_send_concurrency)
    bot = BotRuntime(settings, store, staging, content, Dispatcher(), client)
    bot.fake_graph = fake
    try:
        domain.register(bot)  # the event's tables and content
        handlers.register_all(bot)  # conversation features
        schedules.register_all(bot)  # scheduled jobs
        screens.register(bot)  # public pages
        cli.register(bot)  # operators' commands
        store.migrate(migrations.main(settings.pseudonym_key))
        staging.migrate(migrations.STAGING)
        content.load()
    except BaseException:
        if fake is not None:
            fake.stop()
        raise

    app = Flask(__name__)
    # Every `<int:...>` in a route takes only what SQLite can hold: a larger number is a 404, not a 500.
    app.url_map.converters["int"] = BoundedIntConverter
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    app.config["MAX_CONTENT_LENGTH"] = webhook.MAX_BODY
    web.attach(app, bot)
    app.register_blueprint(webhook.bp)
    console.install(app, settings.console_secret_key or kept_secret(settings.database_path.parent / "console.key"),
                    secure_cookies=settings.base_url.startswith("https://"))
    app.extensions["csrf"].exempt(webhook.bp)  # Facebook signs its posts; it cannot send our token
    for command in bot.commands:
        app.cli.add_command(command)
    for blueprint in bot.blueprints:
        app.register_blueprint(blueprint)
    if settings.local_mode:
        app.register_blueprint(web_simulator.bp)
    app.add_template_global(functools.partial(public_server.screen_url, bot), "screen_url")

    @app.before_request
    def _ensure_running() -> None:
        # Safety net: the WSGI entry points start the runtime, but a server started some other way
        # (`flask run`) must still process what it accepts.
        if not bot.started:
            bot.start()

    if not settings.local_mode:
        logs.event(log, "production mode", mode="production", graph_api_url=settings.graph_api_url)
    return app


def main() -> None:
    """Serve everything on HOST:PORT from one process: the public screens on an event loop (a results page's
    viewers hold no thread), every other path in the Flask app on a pool of threads."""
    app = create_app()
    bot = web.of(app)
    settings = bot.settings
    bot.start()
    screens = public_server.with_bot(bot, app)
    server = AsgiServer(screens, settings.host, settings.port, on_stop=screens.close)
    logs.event(log, "serving", url=server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        bot.stop()


if __name__ == "__main__":
    main()
