"""Public screens in front of an audience: results pages whose viewers never take capacity from the webhook.

The findings of issue 12, each a test: open results streams held server threads (8 took `python app.py` down, 9
stopped /healthz under gunicorn, 100 timed every webhook out); draft polls were public; /healthz told anyone the
lease holder's host and pid. Plus the mechanism every public screen uses: rendered once per change, ETag and
Cache-Control, a pushed update, and a new screen plugged in with `Screen` + `changed`.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from urllib.parse import urlparse

import requests

from bot.domain import polls
from bot import public_screens
from bot.messenger import simulator
from bot.public_screens import Screen
from bot.store import Store
from conftest import ROOT, SECRET, TOKEN, VERIFY, free_port
from test_console import add_moderator, log_in


class Viewer:
    """One browser's EventSource on a results page: a raw socket, so hundreds fit in one test."""

    def __init__(self, url: str, path: str, tls: ssl.SSLContext | None = None):
        parsed = urlparse(url)
        self.sock = socket.create_connection((parsed.hostname, parsed.port), timeout=20)
        if parsed.scheme == "https":
            self.sock = (tls or ssl.create_default_context()).wrap_socket(self.sock, server_hostname="bot.example.org")
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parsed.netloc}\r\nAccept: text/event-stream\r\n\r\n".encode())
        self.buffer = b""

    def status(self) -> int:
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        return int(self.buffer.split(b" ", 2)[1])

    def next_snapshot(self) -> dict:
        """The next `data:` event (waits for it; the socket's timeout fails the test if it never comes)."""
        while True:
            start = self.buffer.find(b"\ndata: ")
            if start >= 0:
                end = self.buffer.find(b"\n", start + 7)
                if end >= 0:
                    line, self.buffer = self.buffer[start + 7:end], self.buffer[end:]
                    return json.loads(line)
            self._read()

    def snapshot_where(self, condition) -> dict:
        while True:
            snap = self.next_snapshot()
            if condition(snap):
                return snap

    def _read(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the stream ended")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def make_poll(db_path, state: str = "open") -> int:
    """A poll as a moderator makes it (bot/domain/polls.py, the code the console and the CLI call)."""
    store = Store(db_path)
    try:
        with store.write() as conn:
            poll_id = polls.create(conn, {"th": "ทีมไหนควรได้ทุนก่อน", "en": "Which team first?"},
                                   [{"th": "AI Doctor", "en": "AI Doctor"}, {"th": "QR ถุงข้าว", "en": "QR rice bag"}])
            if state != "draft":
                polls.set_state(conn, poll_id, "open")
            if state == "closed":
                polls.set_state(conn, poll_id, "closed")
    finally:
        store.close()
    return poll_id


def wait_public(url: str, poll_id: int) -> None:
    """Until the results page answers: a change reaches the server's memory within PUSH_INTERVAL + TICK."""
    deadline = time.time() + 10
    while requests.get(f"{url}/live/{poll_id}.json", timeout=10).status_code == 404 and time.time() < deadline:
        time.sleep(0.05)


def vote(hook: simulator.Webhook, psid: str, poll_id: int, option: int) -> int:
    """A vote through the signed webhook; returns the HTTP status of Facebook's delivery."""
    return hook.post(simulator.page_body([simulator.quick_reply(psid, str(option), f"VOTE:{poll_id}:{option}")])).status_code


def test_hundreds_of_open_results_pages_leave_the_webhook_healthz_and_console_answering(bot):
    poll_id = make_poll(bot.settings.database_path)
    viewers = [Viewer(bot.url, f"/live/{poll_id}/events") for _ in range(300)]
    try:
        assert all(v.next_snapshot()["total"] == 0 for v in viewers)  # all 300 are connected and served
        # With them all held open, everything else answers (before: 8 streams held all 8 threads).
        assert vote(bot.webhook, "12001", poll_id, 1) == 200
        assert requests.get(f"{bot.url}/healthz", timeout=10).status_code == 200
        assert requests.get(f"{bot.url}/console/login", timeout=10).status_code == 200
        # And the vote reaches every one of them, pushed, not reloaded.
        assert all(v.snapshot_where(lambda s: s["total"] == 1)["options"][0]["votes"] == 1 for v in viewers)
    finally:
        for v in viewers:
            v.close()


def test_results_streams_do_not_take_python_app_py_down_in_local_mode(bot_process, tmp_path):
    """The issue measured 8 streams leaving /healthz and /simulator unanswered for 15 s in `make run`'s mode."""
    process = bot_process(PAGE_ACCESS_TOKEN="", APP_SECRET="", VERIFY_TOKEN="").start()
    poll_id = make_poll(tmp_path / "bot.sqlite3")
    viewers = [Viewer(process.url, f"/live/{poll_id}/events") for _ in range(64)]
    try:
        assert [v.status() for v in viewers] == [200] * len(viewers)
        assert requests.get(f"{process.url}/healthz", timeout=10).status_code == 200
        assert requests.get(f"{process.url}/simulator", timeout=10).status_code == 200
        assert vote(simulator.Webhook(process.url, "local-app-secret"), "12101", poll_id, 2) == 200
        assert all(v.snapshot_where(lambda s: s["total"] == 1)["options"][1]["votes"] == 1 for v in viewers)
    finally:
        for v in viewers:
            v.close()
    assert requests.get(f"{process.url}/healthz", timeout=10).status_code == 200  # and after they left


class Gunicorn:
    """The production recipe: `gunicorn -c gunicorn.conf.py` (web workers, the runner, the public screens)."""

    def __init__(self, tmp_path, graph_url: str, **env: str):
        self.port, self.public_port = free_port(), free_port()
        self.db = tmp_path / "bot.sqlite3"
        self.env = {**os.environ, "PAGE_ACCESS_TOKEN": TOKEN, "APP_SECRET": SECRET, "VERIFY_TOKEN": VERIFY,
                    "GRAPH_API_URL": graph_url, "DATABASE_PATH": str(self.db), "CONTENT_DIR": str(ROOT / "content"),
                    "PORT": str(self.port), "PUBLIC_PORT": str(self.public_port), "LOG_LEVEL": "WARNING",
                    "BOT_STANDBY_GRACE": "5", "PUBLIC_SCREENS_NICE": "0", **env}  # (a loaded CI machine starves nice 10)
        self.url, self.public = f"http://127.0.0.1:{self.port}", f"http://127.0.0.1:{self.public_port}"
        self.log = tmp_path / "gunicorn.log"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                          "app:create_app()"], cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                         start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if (requests.get(f"{self.url}/healthz", timeout=2).ok
                        and requests.get(f"{self.public}/live/0.json", timeout=2).status_code == 404):
                    return
            except requests.RequestException:  # not listening yet
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError("gunicorn and the public screens did not come up")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(30)


def test_under_the_gunicorn_recipe_viewers_go_to_the_public_screens_server_not_the_web_workers(tmp_path, fake_graph):
    """Before: 9 streams stopped /healthz, 30 made a webhook wait 6.9 s, 100 timed out all 150 webhooks."""
    server = Gunicorn(tmp_path, fake_graph.url)
    url, public = server.url, server.public
    viewers = []
    try:
        poll_id = make_poll(tmp_path / "bot.sqlite3")
        wait_public(public, poll_id)
        viewers = [Viewer(public, f"/live/{poll_id}/events") for _ in range(200)]
        assert all(v.next_snapshot()["total"] == 0 for v in viewers)
        hook = simulator.Webhook(url, SECRET)
        assert [vote(hook, f"122{i:02d}", poll_id, 1 + i % 2) for i in range(20)] == [200] * 20
        assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
        final = [v.snapshot_where(lambda s: s["total"] == 20) for v in viewers]
        assert all([o["votes"] for o in snap["options"]] == [10, 10] for snap in final)
        # The web workers serve no stream at all: nothing there for a viewer to hold.
        assert requests.get(f"{url}/live/{poll_id}/events", timeout=10).status_code == 404
        # Should the public-screens server die, gunicorn.conf.py starts it again; the bot never noticed.
        for v in viewers:
            v.close()
        os.kill(public_screens_pid(server.proc.pid), signal.SIGKILL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if requests.get(f"{public}/live/{poll_id}.json", timeout=2).json()["total"] == 20:
                    break
            except (requests.RequestException, ValueError):  # down, or starting again
                time.sleep(0.2)
        try:
            total = requests.get(f"{public}/live/{poll_id}.json", timeout=10).json()["total"]
        except requests.RequestException as exc:
            total = exc
        assert total == 20, server.log.read_text()[-3000:]
    finally:
        for v in viewers:
            v.close()
        server.stop()


def public_screens_pid(master: int) -> int:
    """The `flask ... public-screens` child of the gunicorn master."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            if int(stat[1]) == master and b"public-screens" in open(f"/proc/{pid}/cmdline", "rb").read():
                return int(pid)
        except (OSError, IndexError):  # a process that just ended
            continue
    raise AssertionError("no public-screens process under gunicorn")


def test_a_draft_poll_is_404_to_the_public_and_previewed_by_moderators(bot):
    poll_id = make_poll(bot.settings.database_path, state="draft")
    for path in (f"/live/{poll_id}", f"/live/{poll_id}.json", f"/live/{poll_id}.csv", f"/live/{poll_id}/events"):
        answer = requests.get(f"{bot.url}{path}", timeout=10)
        assert answer.status_code == 404 and "ทีมไหน" not in answer.text and "draft" not in answer.text, path
    http = requests.Session()
    preview = f"{bot.url}/console/polls/{poll_id}/preview"
    assert "/console/login" in http.get(preview, allow_redirects=False).headers["Location"]
    add_moderator(bot)
    log_in(bot, http)
    assert "ทีมไหนควรได้ทุนก่อน" in http.get(preview).text
    assert "Which team first?" in http.get(preview, params={"lang": "en"}).text
    assert f"/console/polls/{poll_id}/preview" in http.get(f"{bot.url}/console/polls").text
    viewer = Viewer(bot.url, f"/live/{poll_id}/events")
    assert viewer.status() == 404
    viewer.close()
    with bot.runtime.store.write() as conn:  # opened: public from then on
        polls.set_state(conn, poll_id, "open")
    wait_public(bot.url, poll_id)
    for path in (f"/live/{poll_id}", f"/live/{poll_id}.json", f"/live/{poll_id}.csv"):
        assert requests.get(f"{bot.url}{path}", timeout=10).status_code == 200, path


def test_results_are_cacheable_by_etag_and_change_with_the_votes(bot):
    poll_id = make_poll(bot.settings.database_path)
    first = requests.get(f"{bot.url}/live/{poll_id}.json", timeout=10)
    assert first.headers["Cache-Control"] == "public, max-age=1" and first.headers["ETag"]
    again = requests.get(f"{bot.url}/live/{poll_id}.json", headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    page = requests.get(f"{bot.url}/live/{poll_id}?lang=en", timeout=10)
    assert "public" in page.headers["Cache-Control"] and "Which team first?" in page.text
    assert requests.get(f"{bot.url}/live/{poll_id}?lang=en", headers={"If-None-Match": page.headers["ETag"]},
                        timeout=10).status_code == 304
    assert vote(bot.webhook, "12301", poll_id, 2) == 200
    deadline = time.time() + 10
    while time.time() < deadline:
        now = requests.get(f"{bot.url}/live/{poll_id}.json", headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
        if now.status_code == 200:
            break
        time.sleep(0.05)
    assert now.json()["options"][1]["votes"] == 1 and now.headers["ETag"] != first.headers["ETag"]


def test_closing_a_poll_is_pushed_to_open_pages(bot):
    poll_id = make_poll(bot.settings.database_path)
    viewer = Viewer(bot.url, f"/live/{poll_id}/events")
    assert viewer.next_snapshot()["state"] == "open"
    with bot.runtime.store.write() as conn:
        polls.set_state(conn, poll_id, "closed")
    assert viewer.snapshot_where(lambda s: s["state"] == "closed")
    viewer.close()


def test_a_new_public_screen_plugs_in_with_a_screen_and_changed(start_bot):
    """What audience questions (/live/qa/<session>) or opinion rounds will do: declare, register, say changed."""
    def snapshot(conn, key):
        row = conn.execute("SELECT value FROM runtime_state WHERE key = ?", (f"board:{key}",)).fetchone()
        return None if row is None else {"board": key, "text": row[0]}

    board = Screen("board", "/live/board/<key>", snapshot=snapshot,
                   page=lambda snap, variant, events: f"<h1>{snap['text']}</h1><script>new EventSource({events!r})</script>")
    bot = start_bot(setup=lambda runtime: runtime.screens.add(board))
    assert requests.get(f"{bot.url}/live/board/hall-a", timeout=10).status_code == 404

    def write(text: str) -> None:
        with bot.runtime.store.write() as conn:
            conn.execute("INSERT OR REPLACE INTO runtime_state (key, value, updated_at) VALUES ('board:hall-a', ?, 0)", (text,))
            public_screens.changed(conn, "board", "hall-a")

    write("คำถามแรก")
    deadline = time.time() + 10
    while requests.get(f"{bot.url}/live/board/hall-a.json", timeout=10).status_code == 404 and time.time() < deadline:
        time.sleep(0.05)
    page = requests.get(f"{bot.url}/live/board/hall-a", timeout=10).text
    assert "<h1>คำถามแรก</h1>" in page and "/live/board/hall-a/events" in page
    viewer = Viewer(bot.url, "/live/board/hall-a/events")
    assert viewer.next_snapshot()["text"] == "คำถามแรก"
    write("คำถามที่สอง")
    assert viewer.next_snapshot()["text"] == "คำถามที่สอง"
    viewer.close()
    assert requests.get(f"{bot.url}/live/board/hall-a.csv", timeout=10).status_code == 404  # it has no CSV


def test_healthz_tells_the_public_only_healthy_or_not(start_bot):
    bot = start_bot(trusted_proxies=1)
    local = requests.get(f"{bot.url}/healthz", timeout=10).json()
    assert local["status"] == "ok" and "leader" in local  # a monitor on this machine sees the report
    public = requests.get(f"{bot.url}/healthz", headers={"X-Forwarded-For": "203.0.113.7"}, timeout=10)
    assert public.status_code == 200 and public.json() == {"status": "ok"}  # the pid and host name stay inside
    http = requests.Session()
    http.headers["X-Forwarded-For"] = "203.0.113.8"
    add_moderator(bot)
    log_in(bot, http)
    details = http.get(f"{bot.url}/healthz", timeout=10).json()
    assert details["leader"]["owner"].split(":")[1].isdigit()  # a signed-in moderator sees who holds the lease
