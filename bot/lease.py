"""A lease in the database so that exactly one process runs the background work.

Under gunicorn every worker process creates the app. All of them accept webhooks, but only the holder of the
`runner` lease runs the inbox workers, the outbox sender and the scheduler: APScheduler 3.x in several
processes would fire every job once per process, and two senders would break per-recipient order.

The holder renews the lease every few seconds. Another process takes it over when it is stale, or at once when
its holder was a process on this machine that no longer exists (a kill -9, a gunicorn worker recycled), so a
restart does not wait for the lease to time out.
"""
from __future__ import annotations

import os
import socket
import time
import uuid

from .store import Store, ensure_table

HOST = socket.gethostname()


def schema(db) -> None:
    ensure_table(db, "leases", {"name": str, "owner": str, "acquired_at": float, "heartbeat_at": float}, pk="name")


def declare(privacy) -> None:
    privacy.not_personal("leases", why="which process runs the background work (host and process id)")


def owner_gone(owner: str, me: str) -> bool:
    """True when `owner` (host:pid:nonce) was a process on this machine that no longer runs.

    `me` is the asking runtime's own owner string: an earlier runtime of this very process (same pid, other
    nonce: tests, reloads) counts as gone, as its threads stopped with it.
    """
    try:
        host, pid, _ = owner.split(":", 2)
        pid_number = int(pid)
    except ValueError:
        return False
    if host != HOST:
        return False
    if pid_number == os.getpid():
        return owner != me
    try:
        os.kill(pid_number, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Lease:
    def __init__(self, store: Store, name: str = "runner", ttl: float = 15.0):
        self.store = store
        self.name = name
        self.ttl = ttl
        self.owner = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def try_acquire(self) -> bool:
        now = time.time()
        with self.store.write() as conn:
            row = conn.execute("SELECT owner, heartbeat_at FROM leases WHERE name = ?", (self.name,)).fetchone()
            if row is not None and row["owner"] != self.owner:
                fresh = now - row["heartbeat_at"] < self.ttl
                if fresh and not owner_gone(row["owner"], self.owner):
                    return False
            conn.execute(
                "INSERT INTO leases (name, owner, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, acquired_at = excluded.acquired_at, "
                "heartbeat_at = excluded.heartbeat_at",
                (self.name, self.owner, now, now),
            )
        return True

    def renew(self) -> bool:
        """Extend the lease; False means another process took it and we must stop."""
        with self.store.write() as conn:
            cursor = conn.execute(
                "UPDATE leases SET heartbeat_at = ? WHERE name = ? AND owner = ?", (time.time(), self.name, self.owner)
            )
            return cursor.rowcount == 1

    def release(self) -> None:
        with self.store.write() as conn:
            conn.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (self.name, self.owner))

    def holder(self) -> dict | None:
        row = self.store.conn.execute("SELECT owner, heartbeat_at FROM leases WHERE name = ?", (self.name,)).fetchone()
        if row is None:
            return None
        return {"owner": row["owner"], "age": time.time() - row["heartbeat_at"]}
