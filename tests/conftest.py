"""Test fixtures: a real bot on a real HTTP port, a real SQLite file, and the fake Graph API as Facebook; and the
same bot in this process (`chat`, tests/in_process.py), for conversation logic in milliseconds.

Nothing of ours is mocked. The only stand-in is Facebook itself (bot.messenger.fake_graph), reached over HTTP exactly as
the production bot reaches graph.facebook.com (or, in process, through the same fake's app without a socket).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests


from app import create_app
from bot import public_server, web
from bot.config import Settings
from bot.http_server import AsgiServer
from bot.messenger import simulator
from bot.messenger.fake_graph import FakeGraphServer, FakeGraphState, InProcessGraph
from in_process import Conversations, InProcessBot

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "test-page-token-0123456789"
SECRET = "test-app-secret-abcdef"
VERIFY = "test-verify-token"


@pytest.fixture
def fake_graph():
    with FakeGraphServer(token=TOKEN) as server:
        yield server


@dataclass
class RunningBot(Conversations):
    app: object
    url: str
    settings: Settings
    webhook: simulator.Webhook
    graph: simulator.FakeGraph
    server: object

    @property
    def runtime(self):
        return web.of(self.app)

    def answer(self, psid: str, before: int, quiet: float = 0.3) -> list[dict]:
        """All messages to `psid` after the first `before`, once the bot has gone quiet for `quiet` seconds."""
        self.graph.wait_for(before + 1, psid)
        return self.graph.quiet_then(psid, quiet=quiet)[before:]

    def sync_templates(self, timeout: float = 15.0) -> str:
        """`flask --app app templates sync`, then wait until Meta's verdicts (the fake approves within a moment and
        tells the bot through its webhook) have reached the bot. Returns what the command printed."""
        result = self.app.test_cli_runner().invoke(args=["templates", "sync"])
        assert result.exit_code == 0, result.output
        wanted = 2 * len(self.runtime.content["message_templates"])  # Thai and English
        with self.db() as conn:
            eventually(lambda: conn.execute("SELECT count(*) FROM message_templates WHERE status = 'APPROVED'"
                                            ).fetchone()[0] >= wanted, timeout, 0.05, "the templates were not approved")
        return result.output

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Until the inbox has nothing pending and the outbox nothing queued."""
        def idle() -> bool:
            pending = conn.execute("SELECT count(*) FROM inbox WHERE status = 'pending'").fetchone()[0] + self.staged()
            queued = conn.execute("SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')").fetchone()[0]
            return not pending and not queued

        with self.db() as conn:
            eventually(idle, timeout, message="bot did not become idle")


def serve(app) -> tuple[AsgiServer, str]:
    """The bot as `python app.py` serves it: public screens on the event loop, the rest in the Flask app."""
    screens = public_server.with_bot(web.of(app), app)
    server = AsgiServer(screens, on_stop=screens.close).start()
    return server, server.url


# One trained classifier for the whole run, every test process and every bot process the tests start (bot/
# understanding/intent_classifier.py `trained`): training the content takes 5-15 s, more than a started bot's first
# reply may wait. Bot processes inherit it from the environment.
MODEL_CACHE = Path(os.environ.setdefault(
    "MODEL_CACHE_DIR", str(Path(tempfile.gettempdir()) / f"opengov-bot-tests-model-cache-{os.getuid()}")))


def bot_settings(tmp_path: Path, graph_url: str, **overrides) -> Settings:
    base = Settings(
        page_access_token=TOKEN, app_secret=SECRET, verify_token=VERIFY, graph_api_url=graph_url,
        database_path=tmp_path / "bot.sqlite3", content_dir=ROOT / "content", log_level="WARNING",
        token_recheck_seconds=0.2, model_cache_dir=MODEL_CACHE,
    )
    return base.with_overrides(**overrides)


@pytest.fixture
def start_bot(tmp_path, fake_graph):
    """Factory: start a bot (optionally with settings overrides and extra setup before it runs)."""
    started: list[RunningBot] = []

    def start(setup=None, **overrides) -> RunningBot:
        settings = bot_settings(tmp_path, fake_graph.url, **overrides)
        app = create_app(settings)
        if setup is not None:
            setup(web.of(app))
        server, url = serve(app)
        runtime = web.of(app)
        for fake in (fake_graph, runtime.fake_graph):  # where Meta's template verdicts go (a local-mode bot's own fake)
            if fake is not None:
                fake.state.webhook = {"url": f"{url}/webhook", "app_secret": runtime.settings.app_secret}
        runtime.sender.backoff_base = 0.05  # keep retry tests quick; the policy is the same
        runtime.start()
        assert runtime.wait_until_leading(10)
        bot = RunningBot(app, url, settings, simulator.Webhook(url, SECRET), simulator.FakeGraph(fake_graph.url), server)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        bot.server.stop()
        bot.runtime.stop()
        bot.runtime.close()


@pytest.fixture
def bot(start_bot) -> RunningBot:
    return start_bot()


@pytest.fixture
def start_chat(tmp_path):
    """Factory: the bot in this process (tests/in_process.py), with settings overrides and extra setup."""
    made: list[InProcessBot] = []

    def start(setup=None, **overrides) -> InProcessBot:
        graph = InProcessGraph(FakeGraphState(token=TOKEN), token=TOKEN)
        # Sends are not paced here: a conversation's replies go at once, whatever SEND_RATE's token bucket says.
        settings = bot_settings(tmp_path, graph.base_url, **{"send_rate": 10_000, **overrides})
        app = create_app(settings, graph=graph)
        if setup is not None:
            setup(web.of(app))
        made.append(InProcessBot(app, graph))
        return made[-1]

    yield start
    for chat in made:
        chat.close()


@pytest.fixture
def chat(start_chat) -> InProcessBot:
    return start_chat()


def texts(messages: list[dict]) -> list[str]:
    """The visible text of each message the bot sent (bot/messenger/simulator.py's `texts_of`)."""
    return simulator.texts_of(messages)


def eventually(condition, timeout: float = 20.0, step: float = 0.02, message="it did not happen in time",
               ignoring: tuple[type[BaseException], ...] = ()):
    """Wait until `condition()` is true (returned), asserting it is within `timeout` seconds: the one way the tests
    wait for what the bot does in the background. `message` is a string or a function giving one at the failure
    (to say what was seen last); exceptions in `ignoring` (a server not up yet) count as "not yet"."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except ignoring:
            result = None
        if result:
            return result
        assert time.monotonic() < deadline, message() if callable(message) else message
        time.sleep(step)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    """The bot as a separate OS process (`python app.py`), for kill -9 and start-up tests."""

    def __init__(self, env: dict[str, str], cwd: Path):
        self.env, self.cwd = env, cwd
        self.port = int(env["PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = cwd / f"bot-{self.port}.log"

    def start(self, wait: bool = True, preexec_fn=None) -> "BotProcess":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=self.env, cwd=self.cwd,
                                     stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
        if wait:
            # Generous: a Python process loading the understanding model on two cores shared with other suites can
            # take over 20 s to listen (seen at a load average of 21).
            eventually(self.serving, 60, 0.05, "bot did not start")
        return self

    def serving(self) -> bool:
        """Whether the process answers /healthz (an AssertionError with its log when it has exited)."""
        try:
            return requests.get(f"{self.url}/healthz", timeout=1).status_code in (200, 503)
        except requests.ConnectionError:
            if self.proc.poll() is not None:
                raise AssertionError(f"bot exited: {self.log_path.read_text()[-2000:]}")
            return False

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no cleanup, no graceful shutdown
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def bot_process(tmp_path, fake_graph):
    processes: list[BotProcess] = []

    def make(**env_overrides) -> BotProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PAGE_", "APP_", "GRAPH_", "DATABASE_"))}
        env.update({
            "PAGE_ACCESS_TOKEN": TOKEN, "APP_SECRET": SECRET, "VERIFY_TOKEN": VERIFY,
            "GRAPH_API_URL": fake_graph.url, "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
            "CONTENT_DIR": str(ROOT / "content"), "PORT": str(free_port()), "LOG_LEVEL": "INFO",
        })
        env.update(env_overrides)
        process = BotProcess(env, tmp_path)
        processes.append(process)
        return process

    yield make
    for process in processes:
        process.stop()


@pytest.fixture(scope="session", autouse=True)
def embedding_model():
    """The understanding step's sentence-embedding model, loaded once per test process before its first test, as
    the bot's runner preloads it at start: no test's time limit includes loading it (about a second, more when
    four test processes load it at once on two cores)."""
    from bot.understanding import preload
    from bot.understanding.embedding import ENCODER

    ENCODER.load()
    # ... and the classifier learned from the repository's content, kept by the process for that content version:
    # a bot started with the encoder loaded trains at once (the runner does it in the background), which would
    # otherwise take seconds from the first test of each process that starts a bot (a reminder due 3 s after the
    # start is missed).
    # With the cache on disk, the bots the tests start as processes (gunicorn, the terminal chat) read it too.
    preload.load(ROOT / "content", "hybrid", MODEL_CACHE)
    return ENCODER
