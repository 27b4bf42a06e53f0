"""Shared pieces of the benchmarks: servers in subprocesses, pre-signed webhook bodies, a load generator.

The load generator runs in the benchmark's own process; the bot, the baseline and the fake Graph API each run
in their own processes, as in production. Bodies are built and signed before the clock starts, so the
client's own work per request is one HTTP round trip over a kept-alive connection.
"""
from __future__ import annotations

import http.client
import json
import os
import queue
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.messenger import simulator
from bot.messenger.webhook import sign

SECRET = "bench-app-secret"
TOKEN = "bench-page-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:  # not listening yet, or busy starting
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


class Process:
    def __init__(self, args: list[str], env: dict | None = None, ready_url: str | None = None, log: Path | None = None):
        self.log = open(log or os.devnull, "ab")
        self.proc = subprocess.Popen(args, env={**os.environ, **(env or {})}, cwd=ROOT, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        if ready_url:
            wait_http(ready_url)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def fake_graph(latency: float = 0.0, threads: int = 64) -> tuple[Process, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "bot.messenger.fake_graph", "--port", str(port), "--latency", str(latency),
            "--threads", str(threads)]
    return Process(args, ready_url=f"{url}/_fake/stats"), url


def gunicorn(app: str, port: int, env: dict, workers: int = 2, threads: int = 4, log: Path | None = None) -> Process:
    args = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--pythonpath", str(ROOT / "bench"),
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads), app]
    return Process(args, env=env, ready_url=f"http://127.0.0.1:{port}/healthz", log=log)


def bot_env(graph_url: str, db: Path, **extra: str) -> dict:
    return {"PAGE_ACCESS_TOKEN": TOKEN, "APP_SECRET": SECRET, "VERIFY_TOKEN": "bench", "GRAPH_API_URL": graph_url,
            "DATABASE_PATH": str(db), "CONTENT_DIR": str(ROOT / "content"), "LOG_LEVEL": "WARNING",
            "PUBLIC_PORT": str(free_port()), **extra}  # where gunicorn.conf.py starts the public screens


def signed_bodies(count: int, people: int, words: str = "สวัสดี", prefix: str = "b",
                  mid_prefix: str = "") -> list[tuple[bytes, str]]:
    """`count` distinct message events from `people` distinct senders, each body signed."""
    out = []
    for i in range(count):
        mid = f"m_{mid_prefix}{prefix}_{i}"
        body = simulator.encode(simulator.page_body([simulator.text(f"{prefix}{i % people:07d}", words, mid=mid)]))
        out.append((body, sign(body, SECRET)))
    return out


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _connection(url: str) -> http.client.HTTPConnection:
    parsed = urlparse(url)
    if parsed.scheme == "https":  # through nginx (bench/reverse_proxy.py), whose certificate is made for the run
        return http.client.HTTPSConnection(parsed.hostname, parsed.port, timeout=30,
                                           context=ssl._create_unverified_context())
    return http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)


class _Client:
    """One kept-alive connection that reconnects after an error (counted as a failed request)."""

    def __init__(self, url: str):
        self.url = url
        self.conn = _connection(url)

    def post(self, body: bytes, signature: str) -> int:
        try:
            self.conn.request("POST", "/webhook", body=body,
                              headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature})
            response = self.conn.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = _connection(self.url)
            return 0


def closed_loop(url: str, bodies: list[tuple[bytes, str]], concurrency: int, duration: float) -> dict:
    """As many requests as `concurrency` clients can make in `duration` seconds: the server's capacity."""
    feed = iter(bodies)
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    stop_at = time.perf_counter() + duration

    def client() -> None:
        http_client = _Client(url)
        mine = []
        while time.perf_counter() < stop_at:
            with lock:
                item = next(feed, None)
            if item is None:
                break
            started = time.perf_counter()
            status = http_client.post(*item)
            mine.append(time.perf_counter() - started)
            if status != 200:
                errors[0] += 1
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "errors": errors[0], "per_second": len(latencies) / elapsed,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}


def open_loop(url: str, bodies: list[tuple[bytes, str]], rate: float, duration: float, connections: int = 32,
              completions: list[float] | None = None) -> dict:
    """Requests at a fixed `rate`, latency counted from when each was due (no coordinated omission).

    `completions`, when given, receives the time.monotonic() at which each request was answered."""
    total = int(rate * duration)
    tickets: queue.Queue = queue.Queue()
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.2
    for i in range(total):
        tickets.put((start + i / rate, bodies[i]))

    def client() -> None:
        http_client = _Client(url)
        mine = []
        while True:
            try:
                due, item = tickets.get_nowait()
            except queue.Empty:
                break
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            status = http_client.post(*item)
            mine.append(time.perf_counter() - due)
            if completions is not None:
                completions.append(time.monotonic())
            if status != 200:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    achieved = len(latencies) / (time.perf_counter() - start)
    return {"rate": rate, "requests": len(latencies), "errors": errors[0], "achieved_per_second": achieved,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}


def fake_count(graph_url: str) -> int:
    return requests.get(f"{graph_url}/_fake/stats", timeout=10).json()["messages"]


def fake_recipients(graph_url: str, after: int = 0) -> dict[str, int]:
    """Messages per recipient received by the fake after message id `after`."""
    messages = requests.get(f"{graph_url}/_fake/messages", params={"after": after}, timeout=60).json()["messages"]
    counts: dict[str, int] = {}
    for m in messages:
        counts[m["recipient"]] = counts.get(m["recipient"], 0) + 1
    return counts


def fake_last_id(graph_url: str) -> int:
    return requests.get(f"{graph_url}/_fake/messages", params={"after": 10**12}, timeout=10).json()["last_id"]


def report(name: str, figures: dict) -> None:
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))


def median(values: list[float]) -> float:
    return statistics.median(values)
