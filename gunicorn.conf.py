"""gunicorn settings for production:

    gunicorn -c gunicorn.conf.py "app:create_app()"

The web workers acknowledge webhooks. Beside them this file starts one background runner
(`flask --app app worker`) at a lower CPU priority: it holds the database lease and runs the inbox workers,
the outbox sender and the scheduler, so Facebook's deliveries are acknowledged first and replies use the CPU
that is left. Should the runner die, a web worker takes the lease over after a short grace (the bot keeps
answering, with less headroom). Set BOT_RUNNER=0 to let the web workers run the background work themselves.
Settings come from the environment / .env like the bot's own.
"""
import os
import subprocess
import sys

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 75  # Facebook keeps connections open between deliveries
accesslog = None  # the bot logs its own structured events; an access log line per webhook is noise

RUNNER = os.environ.get("BOT_RUNNER", "1") != "0"
RUNNER_NICE = int(os.environ.get("BOT_RUNNER_NICE", "5"))
STANDBY_GRACE = float(os.environ.get("BOT_STANDBY_GRACE", "10"))  # seconds a web worker leaves the lease to the runner
_runner = None


def when_ready(server):
    """Start the background runner once the listening socket is up (before the web workers fork)."""
    global _runner
    if RUNNER:
        app_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "app.py")
        _runner = subprocess.Popen([sys.executable, "-m", "flask", "--app", app_file, "worker"],
                                   preexec_fn=lambda: os.nice(RUNNER_NICE))
        server.log.info("background runner started (pid %s, nice %s)", _runner.pid, RUNNER_NICE)


def on_exit(server):
    if _runner is not None and _runner.poll() is None:
        _runner.terminate()
        try:
            _runner.wait(graceful_timeout)
        except subprocess.TimeoutExpired:
            _runner.kill()


def post_worker_init(worker):
    """Start the bot's runtime in each worker after it has loaded the app (threads do not survive fork)."""
    bot = worker.wsgi.extensions.get("bot")
    if bot is not None:
        bot.start(standby_grace=STANDBY_GRACE if RUNNER else 0.0)


def worker_exit(server, worker):
    """Hand the lease over at once on a graceful stop, instead of letting it time out."""
    wsgi = getattr(worker, "wsgi", None)
    bot = getattr(wsgi, "extensions", {}).get("bot") if wsgi is not None else None
    if bot is not None:
        bot.stop()
