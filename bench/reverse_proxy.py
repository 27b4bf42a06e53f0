"""Debian's nginx running the repo's site file (deploy/nginx/opengov-bot.conf) on loopback, for tests and benchmarks.

The site file is used as shipped; only what differs on a test machine is replaced (ports, the certificate, the cache
directory), and every replacement must find its line, so a test fails loudly if the file stops matching. TLS is
real (a self-signed certificate made with openssl for the run).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "opengov-bot.conf"


def binary() -> str | None:
    """nginx from Debian's package (`make nginx` installs it), or None."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    def __init__(self, workdir: Path, bot_port: int, public_port: int, connections: int = 16384, workers: int = 2):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.https_port, self.http_port = _free_port(), _free_port()
        self.url = f"https://127.0.0.1:{self.https_port}"
        self.cert, key = self.dir / "cert.pem", self.dir / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=bot.example.org", "-addext", "subjectAltName=DNS:bot.example.org,IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(self.cert)], check=True, capture_output=True)
        site = SITE.read_text()
        for old, new in [
            ("listen 80;", f"listen 127.0.0.1:{self.http_port};"), ("listen [::]:80;", ""),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.https_port} ssl http2;"),
            ("listen [::]:443 ssl http2;", ""),
            ("/etc/letsencrypt/live/bot.example.org/fullchain.pem", str(self.cert)),
            ("/etc/letsencrypt/live/bot.example.org/privkey.pem", str(key)),
            ("server 127.0.0.1:5000;", f"server 127.0.0.1:{bot_port};"),
            ("server 127.0.0.1:5001;", f"server 127.0.0.1:{public_port};"),
            ("/var/cache/nginx/opengov-public", str(self.dir / "cache")),
        ]:
            if old not in site:
                raise AssertionError(f"{SITE} no longer has {old!r}: update bench/reverse_proxy.py with it")
            site = site.replace(old, new)
        (self.dir / "site.conf").write_text(site)
        temp = "\n".join(f"  {kind}_temp_path {self.dir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (self.dir / "nginx.conf").write_text(f"""{"user root;" if os.geteuid() == 0 else ""}
worker_processes {workers};
worker_rlimit_nofile {connections * 2};
pid {self.dir / "nginx.pid"};
error_log {self.dir / "error.log"} warn;
events {{ worker_connections {connections}; }}
http {{
  access_log off;
  default_type application/octet-stream;
{temp}
  include {self.dir / "site.conf"};
}}
""")
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Nginx":
        nginx = binary()
        if nginx is None:
            raise RuntimeError("nginx is not installed (make nginx)")
        self.proc = subprocess.Popen([nginx, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
                                      "-e", str(self.dir / "error.log"), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx did not start: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start listening")

    def pids(self) -> list[int]:
        """The master and its workers (for CPU accounting)."""
        master = self.proc.pid
        children = Path(f"/proc/{master}/task/{master}/children")
        return [master, *(int(p) for p in children.read_text().split())] if children.exists() else [master]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # fast shutdown: closes the held streams too
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
