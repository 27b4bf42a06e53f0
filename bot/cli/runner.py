"""Running the bot without HTTP, and switching it to new content: `flask --app app worker`, `reload-content` and
`public-screens` (gunicorn.conf.py starts a worker and a public-screens server beside its web workers)."""
from __future__ import annotations

import gc
import resource
import signal
import threading

import click
from flask.cli import with_appcontext

from ..content import ContentError
from ..http_server import AsgiServer
from ..logs import event as log_event
from ..public_server import log, with_bot
from ..web import runtime


@click.command("reload-content")
@with_appcontext
def reload_content() -> None:
    """Check the content files and make the running bot use them, without a restart."""
    bot = runtime()
    try:
        bot.content.load()  # already loaded once at start; this is the check of the files as they are now
    except ContentError as exc:
        raise click.ClickException(f"content not reloaded: {exc}")
    bot.content.publish(bot.store)
    summary = ", ".join(f"{name}: {len(getattr(value, 'faq', value).entries)} entries"
                        for name, value in bot.content.loaded().items() if hasattr(getattr(value, "faq", value), "entries"))
    click.echo(f"content checked ({summary or 'texts'}); the running bot switches to it within a second")


@click.command("worker")
@with_appcontext
def worker() -> None:
    """Run the background work (inbox, outbox, scheduler) without serving HTTP, until stopped.

    gunicorn.conf.py starts one beside the web workers, so that acknowledging webhooks never waits behind
    sending. Safe to run more than one: they share a lease, and the others stand by.
    """
    bot = runtime()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    bot.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        bot.stop()


def raise_open_files_limit() -> int:
    """Every viewer is a socket: lift this process's soft limit of open files to the hard one (often 1,024 -> more)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft


@click.command("public-screens")
@click.option("--port", type=int, envvar="PUBLIC_PORT", default=5001, show_default=True,
              help="Port on HOST (env PUBLIC_PORT); nginx sends /live/ here.")
@with_appcontext
def public_screens(port: int) -> None:
    """Serve the public screens (results pages, their JSON, CSV and live streams) until stopped.

    gunicorn.conf.py starts one beside the web workers; run it yourself (under systemd, say) with
    PUBLIC_SCREENS=0. It only reads the database: as many as you like may run.
    """
    bot = runtime()
    files = raise_open_files_limit()
    screens = with_bot(bot)
    # Half a million objects of the loaded app (the FAQ's dictionaries) would be walked by every full garbage
    # collection, a pause of ~0.25 s in the middle of a push: they live as long as the process, so freeze them.
    gc.collect()
    gc.freeze()
    server = AsgiServer(screens, bot.settings.host, port, on_stop=screens.close)
    log_event(log, "public_screens.serving", url=server.url, screens=[s.name for s in bot.screens], open_files=files)
    server.serve_forever()
