"""A WSGI server on a background thread (waitress): the fake Graph API, `python app.py`, tests.

Why waitress rather than Werkzeug's development server: Werkzeug closes the connection after every response,
so every Send API call would open a new TCP connection, which Facebook's servers never force on us. Waitress
keeps connections alive, is production-grade and pure Python.
"""
from __future__ import annotations

import threading

import waitress


class BackgroundServer:
    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, threads: int = 16):
        self.server = waitress.create_server(
            app, host=host, port=port, threads=threads, connection_limit=2000, asyncore_use_poll=True,
            channel_timeout=300, ident="opengov-bot",
            # Leave X-Forwarded-* to the app: it trusts them only with TRUSTED_PROXIES (werkzeug's ProxyFix), the
            # same under waitress and gunicorn. Without that setting the app ignores them.
            clear_untrusted_proxy_headers=False,
        )
        self.host = host
        self.port = self.server.effective_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.server.run, name=f"http-{self.port}", daemon=True)

    def start(self) -> "BackgroundServer":
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread (for `python app.py`)."""
        self.server.run()

    def stop(self) -> None:
        self.server.close()
        for channel in list(self.server._map.values()):  # kept-alive connections keep the loop going
            try:
                channel.close()
            except OSError:
                pass
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=2)
        self._thread.join(3)


class AsgiServer:
    """uvicorn serving an ASGI app: the public-screens server, in its own process or on a thread.

    Our JSON logging stays in charge (uvicorn's own log configuration is off), X-Forwarded-* are left to the app
    (TRUSTED_PROXIES, as under gunicorn), and a listen backlog of 4,096 takes a crowd connecting at once.
    `on_stop` runs on the loop before the server shuts down (ends the live streams, which would otherwise hold
    the shutdown until its timeout).
    """

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, on_stop=None, **options):
        import socket

        import uvicorn

        self.socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((host, port))
        self.host, self.port = host, self.socket.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(app, log_config=None, access_log=False, proxy_headers=False, server_header=False,
                                lifespan="on", backlog=4096, timeout_keep_alive=75, timeout_graceful_shutdown=3,
                                **options)

        class Server(uvicorn.Server):
            async def shutdown(self, sockets=None):
                if on_stop is not None:
                    on_stop()
                await super().shutdown(sockets)

        self.server = Server(config)
        self._thread: threading.Thread | None = None

    def start(self) -> "AsgiServer":
        """Serve on a background thread; returns once it accepts connections."""
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                        name=f"asgi-{self.port}", daemon=True)
        self._thread.start()
        while not self.server.started and self._thread.is_alive():
            self._thread.join(0.01)
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread (the main one: Ctrl-C and SIGTERM stop it gracefully)."""
        self.server.run(sockets=[self.socket])

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
