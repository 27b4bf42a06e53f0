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
