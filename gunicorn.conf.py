"""gunicorn settings for production:

    gunicorn -c gunicorn.conf.py "app:create_app()"

The web workers acknowledge webhooks. Beside them this file starts one background runner
(`flask --app app worker`) at a lower CPU priority: it holds the database lease and runs the inbox workers,
the outbox sender and the scheduler, so Facebook's deliveries are acknowledged first and replies use the CPU
that is left. Should the runner die, a web worker takes the lease over after a short grace (the bot keeps
answering, with less headroom). Set BOT_RUNNER=0 to let the web workers run the background work themselves.

It also starts the **public-screens server** (`flask --app app public-screens`, bot/public_server.py) on
HOST:PUBLIC_PORT, at a lower CPU priority still: results pages and their live streams for the audience, on an
event loop, so no viewer ever holds one of these workers' threads. nginx sends `/live/` there
(deploy/nginx/opengov-bot.conf). It is started again whenever it ends while gunicorn runs. Set
PUBLIC_SCREENS=0 to run it yourself.
Settings come from the environment / .env like the bot's own.
"""
import gc
import os
import subprocess
import sys
import threading
import time

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 75  # Facebook keeps connections open between deliveries
accesslog = None  # the bot logs its own structured events; an access log line per webhook is noise
# gunicorn 25.1+ opens a control socket at one path per user ($HOME/.gunicorn/gunicorn.ctl), shared by every
# gunicorn of that user, and stops and restarts its thread around every fork() the master makes, ours included.
# We do not use `gunicornc`; two bots on one machine (or a test beside a running bot) would fight over it.
control_socket_disable = True

RUNNER = os.environ.get("BOT_RUNNER", "1") != "0"
RUNNER_NICE = int(os.environ.get("BOT_RUNNER_NICE", "5"))
STANDBY_GRACE = float(os.environ.get("BOT_STANDBY_GRACE", "10"))  # seconds a web worker leaves the lease to the runner
PUBLIC_SCREENS = os.environ.get("PUBLIC_SCREENS", "1") != "0"
PUBLIC_PORT = os.environ.get("PUBLIC_PORT", "5001")
PUBLIC_SCREENS_NICE = int(os.environ.get("PUBLIC_SCREENS_NICE", "10"))
APP_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "app.py")
_runner = None
_public = None
_stopping = threading.Event()
# The public screens are restarted from a thread while the master forks web workers from its main thread. A worker
# forked while Popen waits for its child's exec() inherits Popen's pipe, and Popen then waits as long as that
# worker lives (seen: the public screens never came back). So no fork() runs while we start a child.
_spawning = threading.Lock()
os.register_at_fork(before=_spawning.acquire, after_in_parent=_spawning.release, after_in_child=_spawning.release)


def _flask(command, nice, env=None):
    """Start `flask --app app COMMAND` at CPU priority `nice`.

    The priority is set after the start, not in a `preexec_fn`: Python documents preexec_fn as unsafe when the
    process has threads (the public screens are restarted from one), and it makes the child a full fork() that
    runs every at-fork hook of the master."""
    with _spawning:  # (Popen without preexec_fn uses vfork and runs no at-fork hook: no deadlock with ours)
        child = subprocess.Popen([sys.executable, "-m", "flask", "--app", APP_FILE, command], env=env)
    try:
        os.setpriority(os.PRIO_PROCESS, child.pid, os.getpriority(os.PRIO_PROCESS, 0) + nice)
    except OSError:  # it ended already; whoever waits for it will see that
        pass
    return child


def _keep_public_screens(server):
    """Start the public-screens server, and start it again whenever it dies (at most once every 5 s)."""
    global _public
    env = {**os.environ, "PUBLIC_PORT": PUBLIC_PORT}
    while not _stopping.is_set():
        started = time.monotonic()
        _public = _flask("public-screens", PUBLIC_SCREENS_NICE, env)
        server.log.info("public screens started on port %s (pid %s, nice %s)", PUBLIC_PORT, _public.pid,
                        PUBLIC_SCREENS_NICE)
        # (gunicorn's master reaps every child with waitpid(-1), so the status may read 0 whatever the cause.)
        status = _public.wait()
        if _stopping.is_set():
            return
        server.log.error("public screens stopped (status %s); starting them again", status)
        _stopping.wait(max(0.0, 5.0 - (time.monotonic() - started)))


def when_ready(server):
    """Start the background runner and the public screens once the listening socket is up (before the web
    workers fork)."""
    global _runner
    if RUNNER:
        _runner = _flask("worker", RUNNER_NICE)
        server.log.info("background runner started (pid %s, nice %s)", _runner.pid, RUNNER_NICE)
    if PUBLIC_SCREENS:
        threading.Thread(target=_keep_public_screens, args=(server,), name="public-screens", daemon=True).start()


def on_exit(server):
    _stopping.set()
    for child in (_runner, _public):
        if child is not None and child.poll() is None:
            child.terminate()
    for child in (_runner, _public):
        if child is not None:
            try:
                child.wait(graceful_timeout)
            except subprocess.TimeoutExpired:
                child.kill()


def post_worker_init(worker):
    """Start the bot's runtime in each worker after it has loaded the app (threads do not survive fork)."""
    # The loaded app is half a million objects (the FAQ's dictionaries) that live as long as the worker; a full
    # garbage collection walking them pauses every thread of the worker for ~0.25 s, webhooks included. (No
    # collection first: it would cost as much again while the workers and the runner are starting.)
    gc.freeze()
    bot = worker.wsgi.extensions.get("bot")
    if bot is not None:
        bot.start(standby_grace=STANDBY_GRACE if RUNNER else 0.0)


def worker_exit(server, worker):
    """Hand the lease over at once on a graceful stop, instead of letting it time out."""
    wsgi = getattr(worker, "wsgi", None)
    bot = getattr(wsgi, "extensions", {}).get("bot") if wsgi is not None else None
    if bot is not None:
        bot.stop()
