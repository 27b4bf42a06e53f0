"""The fake Graph API on a real HTTP port on 127.0.0.1 (`FakeGraphServer`: local mode, end-to-end tests,
benchmarks), or answering in this process without a socket (`InProcessGraph`: the in-process conversation tests).
Both run the same app, so the same rules apply."""
from __future__ import annotations

import argparse

from ...http_server import BackgroundServer
from ..graph import GraphClient
from .app import create_app
from .state import FakeGraphState


class FakeGraphServer:
    """The fake on a background thread: `with FakeGraphServer() as fake: fake.url`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str | None = None, latency: float = 0.0,
                 threads: int = 64):
        self.state = FakeGraphState(token=token, latency=latency)
        self.app = create_app(self.state)
        self.server = BackgroundServer(self.app, host, port, threads=threads)
        self.url = self.server.url

    def start(self) -> "FakeGraphServer":
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> "FakeGraphServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class InProcessGraph(GraphClient):
    """A Graph API client answered by the fake in this process: the same app and rules as FakeGraphServer, through
    Flask's test client instead of a socket (every call a few hundred microseconds, no thread, no port)."""

    def __init__(self, state: FakeGraphState | None = None, token: str = "in-process-token"):
        self.state = state or FakeGraphState()
        self.app = create_app(self.state)
        self.base_url, self.token = "http://fake-graph.in-process", token

    def _request(self, method: str, path_and_query: str, body: bytes | None,
                 timeout: float | None) -> tuple[int, bytes, str | None]:
        response = self.app.test_client().open("/" + path_and_query, method=method, data=body,
                                               content_type="application/json" if body is not None else None)
        return response.status_code, response.get_data(), response.status.partition(" ")[2]


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake Facebook Graph API for local runs and tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=None, help="the only access token accepted (default: any)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to wait before every answer")
    parser.add_argument("--threads", type=int, default=64, help="requests answered at once (latency x rate needs)")
    args = parser.parse_args()
    server = FakeGraphServer(args.host, args.port, args.token, args.latency, threads=args.threads)
    print(f"fake Graph API on {server.url}", flush=True)
    server.server.serve_forever()
