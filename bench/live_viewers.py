"""An audience on the results page: 5,000 viewers hold the live stream of one poll while people keep voting.

The production recipe: gunicorn (gunicorn.conf.py: web workers, the runner, the public-screens server) behind
nginx with deploy/nginx/opengov-bot.conf and real TLS (`--direct`: without nginx, viewers on the public-screens
server's port and webhooks on gunicorn's). Then:

1. votes through the signed webhook at `--rate` a second for `--seconds`, nobody watching: acknowledgement p50/p99;
2. `--viewers` open the results page's event stream, over TLS through nginx, from a separate process at a lower
   CPU priority (in real life they are phones elsewhere; here they share the machine's two cores). Every tenth
   viewer reads its stream as it comes; the others' updates wait in the kernel's socket buffers and are read at
   the end, where each viewer must have the last update (a phone decrypts its own stream: this way the machine's
   CPU goes to the server side, which does the same work for every viewer: nginx encrypts and writes to all);
3. the same votes again with every viewer connected: acknowledgement p50/p99, /healthz every half second, and
   the update lag: for every fifth vote and every reading viewer, the time from the vote's acknowledgement to
   that viewer receiving a total that includes it (the runner counting it, the change being seen, rendered,
   pushed, and nginx passing it on; votes are taken in the order they were acknowledged);
4. quiet probes: one vote at a time, and how long until the last of the reading viewers has it.

Targets (issue 12): at least 5,000 viewers held, webhook p99 under 50 ms with them, /healthz answering, updates
within 1 s.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from harness import (ROOT, SECRET, bot_env, fake_graph, free_port, gunicorn, open_loop, percentile, report,
                     wait_http)
import reverse_proxy
from bot.messenger import simulator
from bot.messenger.webhook import sign
from votes import flask

CLIENT_NICE = 10


# -- the viewers (a process of their own) ---------------------------------------------------------------------
async def _viewer(host: str, port: int, path: str, tls: ssl.SSLContext | None, seen: list, connected: list,
                  gate: asyncio.Event | None) -> None:
    reader, writer = await asyncio.open_connection(host, port, ssl=tls, server_hostname="bot.example.org" if tls else None)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: bot.example.org\r\nAccept: text/event-stream\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
        chunked = b"transfer-encoding: chunked" in head.lower()
        buffer = b""
        while True:
            if chunked:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    return
                buffer += (await reader.readexactly(size + 2))[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    return
                buffer += data
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                at = event.find(b'"total":')
                if at >= 0:
                    end = at + 8
                    while event[end:end + 1].isdigit():
                        end += 1
                    seen.append((time.monotonic(), int(event[at + 8:end])))
                    if not connected:
                        connected.append(True)
                        if gate is not None:  # a passive viewer: what comes waits in the kernel until the end
                            writer.transport.pause_reading()  # (else the TLS layer would read and decrypt it all)
                            await gate.wait()
                            writer.transport.resume_reading()
    finally:
        writer.close()


async def _audience(host: str, port: int, path: str, count: int, tls: ssl.SSLContext | None, out: Path,
                    read_every: int) -> None:
    seen = [[] for _ in range(count)]
    connected = [[] for _ in range(count)]
    gate = asyncio.Event()
    tasks, errors = [], []
    for start in range(0, count, 250):  # connect in waves, as a crowd arriving over some seconds
        for i in range(start, min(count, start + 250)):
            task = asyncio.ensure_future(_viewer(host, port, path, tls, seen[i], connected[i],
                                                 None if i % read_every == 0 else gate))
            task.add_done_callback(lambda t: errors.append(repr(t.exception())) if not t.cancelled() and t.exception() else None)
            tasks.append(task)
        deadline = time.monotonic() + 30
        while sum(bool(c) for c in connected[:len(tasks)]) + len(errors) < len(tasks) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    print(f"ready {sum(bool(c) for c in connected)} {len(errors)}", flush=True)
    final = int((await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)).split()[1])  # "stop N"
    held = sum(1 for t in tasks if not t.done())
    gate.set()  # the passive viewers read what waited for them: did every one of them get every update?
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(not s or s[-1][1] < final for s, t in zip(seen, tasks) if not t.done()):
        await asyncio.sleep(0.1)
    got_final = sum(1 for s in seen if s and s[-1][1] >= final)
    for task in tasks:
        task.cancel()
    active = [s for i, s in enumerate(seen) if i % read_every == 0]
    out.write_text(json.dumps({"held": held, "got_final": got_final, "errors": errors[:20], "error_count": len(errors),
                               "seen": active}))
    print("done", flush=True)


def client_main(args) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tls = ssl._create_unverified_context() if args.tls else None
    import uvloop  # the server's event loop (a dependency): the viewers' side costs less of the shared CPU

    uvloop.run(_audience(args.host, args.port, args.path, args.viewers, tls, Path(args.out), args.read_every))


class Audience:
    def __init__(self, url: str, path: str, viewers: int, out: Path, read_every: int):
        host, port = url.split("://")[1].split(":")
        self.out = out
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--client", "--host", host, "--port", port, "--path", path,
             "--viewers", str(viewers), "--out", str(out), "--read-every", str(read_every),
             *(["--tls"] if url.startswith("https") else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=lambda: os.nice(CLIENT_NICE))
        ready = self.proc.stdout.readline().split()
        self.connected, self.failed = int(ready[1]), int(ready[2])

    def stop(self, final_total: int) -> dict:
        self.proc.stdin.write(f"stop {final_total}\n")
        self.proc.stdin.flush()
        self.proc.stdout.readline()
        self.proc.wait(60)
        return json.loads(self.out.read_text())


# -- the benchmark ------------------------------------------------------------------------------------------
def ballots(poll_id: int, first: int, count: int, options: int = 4) -> list[tuple[bytes, str]]:
    out = []
    for i in range(first, first + count):
        option = i % options + 1
        body = simulator.encode(simulator.page_body([simulator.quick_reply(f"lv{i:07d}", str(option), f"VOTE:{poll_id}:{option}",
                                                                           mid=f"m_lv_{i}")]))
        out.append((body, sign(body, SECRET)))
    return out


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_pids(parent: int, word: bytes) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            if int(stat[1]) == parent and word in open(f"/proc/{pid}/cmdline", "rb").read():
                found.append(int(pid))
        except (OSError, IndexError):
            continue
    return found


def unverified_session() -> requests.Session:
    """nginx's certificate is made for the run (and REQUESTS_CA_BUNDLE, where set, would override `verify`)."""
    http = requests.Session()
    http.trust_env, http.verify = False, False
    return http


class HealthProbe(threading.Thread):
    """GET /healthz every half second; records each answer's status and time (timeout 5 s)."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.results, self.stop_event = url, [], threading.Event()

    def run(self) -> None:
        http = unverified_session()
        while not self.stop_event.wait(0.5):
            started = time.monotonic()
            try:
                status = http.get(f"{self.url}/healthz", timeout=5).status_code
            except requests.RequestException:
                status = 0
            self.results.append((status, time.monotonic() - started))

    def summary(self) -> dict:
        self.stop_event.set()
        self.join(10)
        ok = [t for s, t in self.results if s == 200]
        return {"asked": len(self.results), "answered_200": len(ok), "max_ms": max(ok, default=float("nan")) * 1000}


def lags(seen: list[list], acks: list[float], base: int, every: int = 5) -> list[float]:
    """For every `every`-th vote of the storm and every viewer: from the vote's acknowledgement to the first update
    that viewer got showing a total that includes it (total >= base + its place)."""
    sample = range(0, len(acks), every)
    out = []
    for messages in seen:
        j = 0
        for at, total in messages:
            while j < len(sample) and base + sample[j] + 1 <= total:
                if at >= acks[sample[j]]:
                    out.append(at - acks[sample[j]])
                j += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=100.0, help="votes a second through the webhook")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--direct", action="store_true", help="no nginx: straight to gunicorn and the public screens")
    parser.add_argument("--public-nice", type=int, default=None, help="PUBLIC_SCREENS_NICE (gunicorn.conf.py's default: 10)")
    parser.add_argument("--read-every", type=int, default=10,
                        help="viewers whose updates are read as they come (their lag is measured); the others' wait "
                             "in the kernel and are checked at the end")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--host"), parser.add_argument("--port", type=int), parser.add_argument("--path")
    parser.add_argument("--out"), parser.add_argument("--tls", action="store_true")
    args = parser.parse_args()
    if args.client:
        client_main(args)
        return

    requests.packages.urllib3.disable_warnings()
    load_before = os.getloadavg()[0]
    clock_offset = time.time() - time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    fake, graph_url = fake_graph()
    port = free_port()
    env = bot_env(graph_url, tmp / "bot.sqlite3", SEND_RATE="10000", TRUSTED_PROXIES="1",
                  **({"PUBLIC_SCREENS_NICE": str(args.public_nice)} if args.public_nice is not None else {}))
    bot = gunicorn("app:create_app()", port, env, log=tmp / "bot.log")
    proxy = None
    via_nginx = not args.direct and reverse_proxy.binary() is not None
    try:
        public = f"http://127.0.0.1:{env['PUBLIC_PORT']}"
        wait_http(f"{public}/live/0.json", timeout=60)
        if via_nginx:
            proxy = reverse_proxy.Nginx(tmp / "nginx", port, int(env["PUBLIC_PORT"]), connections=4 * args.viewers + 1024).start()
        front = proxy.url if proxy else f"http://127.0.0.1:{port}"
        viewers_url = proxy.url if proxy else public
        poll_id = int(flask(env, "poll", "create", "--question", "ทีมไหนควรได้ทุนก่อน | Which team first?",
                            *sum((["--option", f"ทีม {n} | Team {n}"] for n in range(1, 5)), [])))
        flask(env, "poll", "open", str(poll_id))
        per_phase = int(args.rate * args.seconds)
        public_pid = child_pids(bot.proc.pid, b"public-screens")[0]

        alone = open_loop(front, ballots(poll_id, 0, per_phase), args.rate, args.seconds)
        time.sleep(2)  # the runner finishes counting

        started = time.monotonic()
        audience = Audience(viewers_url, f"/live/{poll_id}/events", args.viewers, tmp / "seen.json", args.read_every)
        connect_seconds = time.monotonic() - started
        base = per_phase  # votes counted before the watched storm
        health = HealthProbe(front)
        health.start()
        acks: list[float] = []
        cpu_before = (cpu_seconds([public_pid]), cpu_seconds(proxy.pids()) if proxy else 0.0,
                      cpu_seconds([audience.proc.pid]))
        watched = open_loop(front, ballots(poll_id, per_phase, per_phase), args.rate, args.seconds, completions=acks)
        cpu_after = (cpu_seconds([public_pid]), cpu_seconds(proxy.pids()) if proxy else 0.0,
                     cpu_seconds([audience.proc.pid]))
        time.sleep(3)
        probes = []
        hook = simulator.Webhook(front, SECRET, session=unverified_session())
        for n in range(5):  # quiet probes: one vote, then every viewer must have it
            hook.send(simulator.quick_reply(f"lvp{n}", "1", f"VOTE:{poll_id}:1", mid=f"m_lvp_{n}"))
            probes.append(time.monotonic())
            time.sleep(2)
        health_summary = health.summary()
        public_rss = rss_mb(public_pid)
        result = audience.stop(2 * per_phase + len(probes))
    finally:
        if proxy is not None:
            proxy.stop()
        bot.stop()
        fake.stop()

    acks.sort()
    storm_lags = lags(result["seen"], acks, base)
    # Where the time goes: when the runner recorded each vote (votes.created_at, wall clock, mapped to the
    # monotonic clock), so lag = counting (ack -> recorded) + showing (recorded -> on the viewer's screen).
    with sqlite3.connect(tmp / "bot.sqlite3") as db:
        recorded = sorted(r[0] - clock_offset for r in db.execute(
            "SELECT created_at FROM votes WHERE poll_id = ? ORDER BY created_at", (poll_id,)))[base:base + len(acks)]
    counting = [r - a for r, a in zip(recorded, acks)]
    showing = lags(result["seen"], recorded, base)
    probe_lags = []
    for n, at in enumerate(probes):
        total = 2 * per_phase + n + 1
        firsts = [next((t for t, v in messages if v >= total), None) for messages in result["seen"]]
        got = [t - at for t in firsts if t is not None]
        probe_lags.append({"reached": len(got), "median_s": percentile(got, 50), "max_s": max(got, default=float("nan"))})
    figures = {
        "viewers": args.viewers, "via": "nginx (TLS)" if via_nginx else "direct", "rate": args.rate,
        "public_screens_nice": args.public_nice if args.public_nice is not None else 10,
        "seconds": args.seconds, "connected": audience.connected, "connect_failed": audience.failed,
        "connect_seconds": connect_seconds, "held_to_the_end": result["held"], "got_every_update": result["got_final"],
        "read_as_they_come": len(result["seen"]), "errors": result["errors"],
        "webhook_alone": alone, "webhook_with_viewers": watched,
        "update_lag_s": {"updates": len(storm_lags), "p50": percentile(storm_lags, 50), "p99": percentile(storm_lags, 99),
                         "max": max(storm_lags, default=float("nan"))},
        "counting_s": {"p50": percentile(counting, 50), "p99": percentile(counting, 99)},
        "showing_s": {"p50": percentile(showing, 50), "p99": percentile(showing, 99)},
        "probes": probe_lags, "healthz": health_summary,
        "public_screens_cpu_s": cpu_after[0] - cpu_before[0], "nginx_cpu_s": cpu_after[1] - cpu_before[1],
        "viewers_cpu_s": cpu_after[2] - cpu_before[2],
        "public_screens_rss_mb": public_rss, "load_average_before": load_before, "load_average_after": os.getloadavg()[0],
    }
    print(f"{args.viewers} viewers of one poll's results ({figures['via']}), votes at {args.rate:.0f}/s for {args.seconds:.0f} s, "
          f"bot under gunicorn, public screens at nice {figures['public_screens_nice']}; "
          f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"  viewers connected {audience.connected} (failed {audience.failed}) in {connect_seconds:.1f} s; "
          f"still held at the end {result['held']}, of which {result['got_final']} got the last update")
    print(f"  webhook without viewers: p50 {alone['p50_ms']:.1f} ms, p99 {alone['p99_ms']:.1f} ms, errors {alone['errors']}")
    print(f"  webhook with the viewers: p50 {watched['p50_ms']:.1f} ms, p99 {watched['p99_ms']:.1f} ms, errors {watched['errors']} "
          f"(target p99 < 50 ms)")
    lag = figures["update_lag_s"]
    print(f"  update lag during the votes (every {args.read_every}th viewer read as it comes, {lag['updates']} vote x viewer pairs): p50 {lag['p50']:.2f} s, p99 {lag['p99']:.2f} s, "
          f"max {lag['max']:.2f} s (target 1 s)")
    print(f"  of which the runner counting the vote p50 {percentile(counting, 50):.2f} s, p99 {percentile(counting, 99):.2f} s; "
          f"from counted to on the viewer's screen p50 {percentile(showing, 50):.2f} s, p99 {percentile(showing, 99):.2f} s")
    print("  quiet probes (one vote; until the last of those viewers has it): " +
          ", ".join(f"{p['max_s']:.2f} s ({p['reached']})" for p in probe_lags))
    print(f"  /healthz: {health_summary['answered_200']} of {health_summary['asked']} answered 200, slowest "
          f"{health_summary['max_ms']:.0f} ms")
    print(f"  CPU during the watched votes: public screens {figures['public_screens_cpu_s']:.1f} s, nginx "
          f"{figures['nginx_cpu_s']:.1f} s, the viewers' process {figures['viewers_cpu_s']:.1f} s (of {args.seconds:.0f} s); "
          f"public screens RSS {public_rss:.0f} MB")
    report("live_viewers", figures)


if __name__ == "__main__":
    main()
