"""The production recipe's reverse proxy: deploy/nginx/opengov-bot.conf, run by Debian's nginx (with real TLS) in
front of the bot under gunicorn.

The issue measured, without it: 64 clients dripping request headers stalled gunicorn's workers, and 16 sending
their bodies slowly timed out 2 of 5 webhook POSTs. Behind nginx they wait in nginx and the webhook answers; the
live results stream passes through unbuffered; results pages come from nginx's cache; /healthz, reached through
the proxy, says healthy or not and nothing more.
"""
from __future__ import annotations

import os
import socket
import ssl
import sys
import threading

import pytest
import requests

from bot.messenger import simulator
from conftest import ROOT, SECRET
from test_public_screens import Gunicorn, Viewer, make_poll, vote, wait_public

sys.path.insert(0, str(ROOT / "bench"))
import reverse_proxy  # noqa: E402


@pytest.fixture
def production(tmp_path, fake_graph):
    if reverse_proxy.binary() is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is missing: make test installs it (apt-get install nginx)")
        pytest.skip("nginx is missing: apt-get install nginx (make test does it as root)")
    server = Gunicorn(tmp_path, fake_graph.url, TRUSTED_PROXIES="1")
    proxy = None
    try:
        proxy = reverse_proxy.Nginx(tmp_path / "nginx", server.port, server.public_port).start()
        http = requests.Session()
        http.verify = str(proxy.cert)
        http.trust_env = False  # REQUESTS_CA_BUNDLE, where set, would override verify
        yield server, proxy, http
    finally:
        if proxy is not None:
            proxy.stop()
        server.stop()


class SlowClient:
    """A TLS client that sends its request a few bytes at a time and never finishes (a slow phone, or an attack)."""

    def __init__(self, proxy, head: bytes):
        context = ssl.create_default_context(cafile=str(proxy.cert))
        raw = socket.create_connection(("127.0.0.1", proxy.https_port), timeout=10)
        self.sock = context.wrap_socket(raw, server_hostname="bot.example.org")
        self.sock.sendall(head)

    def drip(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError:  # nginx closed it (client_header_timeout / client_body_timeout): as it should
            pass


def test_slow_clients_wait_in_nginx_and_the_webhook_answers(production):
    server, proxy, http = production
    slow_headers = [SlowClient(proxy, b"POST /webhook HTTP/1.1\r\nHost: bot.example.org\r\n") for _ in range(64)]
    slow_bodies = [SlowClient(proxy, b"POST /webhook HTTP/1.1\r\nHost: bot.example.org\r\nContent-Type: application/json\r\n"
                                     b"X-Hub-Signature-256: sha256=00\r\nContent-Length: 4000\r\n\r\n{\"object\":") for _ in range(16)]
    stop = threading.Event()

    def dripping() -> None:
        while not stop.wait(0.5):
            for client in slow_headers:
                client.drip(b"X-Slow: 1\r\n")
            for client in slow_bodies:
                client.drip(b" ")

    dripper = threading.Thread(target=dripping, daemon=True)
    dripper.start()
    try:
        hook = simulator.Webhook(proxy.url, SECRET, session=http)
        answers = [hook.post(simulator.page_body([simulator.text(f"1300{i}", "สวัสดี")])) for i in range(5)]
        assert [a.status_code for a in answers] == [200] * 5
        health = http.get(f"{proxy.url}/healthz", timeout=10)
        assert health.status_code == 200 and health.json() == {"status": "ok"}  # no host name, no pid
        assert health.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        stop.set()
        dripper.join(5)
        for client in slow_headers + slow_bodies:
            client.sock.close()


def test_live_results_stream_through_nginx_unbuffered_and_pages_come_from_its_cache(production):
    server, proxy, http = production
    poll_id = make_poll(server.db)
    wait_public(server.public, poll_id)
    first = http.get(f"{proxy.url}/live/{poll_id}.json", timeout=10)
    assert first.status_code == 200 and first.headers["X-Cache-Status"] in ("MISS", "EXPIRED")
    again = http.get(f"{proxy.url}/live/{poll_id}.json", timeout=10)
    assert again.headers["X-Cache-Status"] in ("HIT", "UPDATING", "REVALIDATED") and again.json() == first.json()
    viewer = Viewer(proxy.url, f"/live/{poll_id}/events", tls=ssl.create_default_context(cafile=str(proxy.cert)))
    try:
        assert viewer.next_snapshot()["total"] == 0
        assert vote(simulator.Webhook(proxy.url, SECRET, session=http), "13101", poll_id, 1) == 200
        # Unbuffered: the small update event arrives at once (a buffering proxy would sit on it).
        assert viewer.snapshot_where(lambda s: s["total"] == 1)["options"][0]["votes"] == 1
    finally:
        viewer.close()
    draft = make_poll(server.db, state="draft")
    assert http.get(f"{proxy.url}/live/{draft}", timeout=10).status_code == 404
