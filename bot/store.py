"""SQLite storage: one connection per thread, WAL, a busy timeout, explicit write transactions.

Why `BEGIN IMMEDIATE` for every write: a deferred transaction that reads first and writes later can fail with
SQLITE_BUSY without waiting when another connection wrote in between (the busy timeout does not apply to that
upgrade). Taking the write lock up front makes every writer wait its turn instead.

Uniqueness (one inbox row per Facebook event, one vote per person) is enforced by UNIQUE constraints and
`INSERT ... ON CONFLICT`, never by reading first.
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, NamedTuple, Sequence

import sqlite_utils


class Migration(NamedTuple):
    """One change to a database: `name` (recorded for ever in `migrations`, never renamed) and `apply(db)`, run once
    (bot/domain/migrations.py lists them in order)."""

    name: str
    apply: Callable[[sqlite_utils.Database], None]


class Store:
    def __init__(self, path: str | Path, busy_timeout: float = 10.0):
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self.migrations: Sequence[Migration] = ()
        self._all: set[sqlite3.Connection] = set()
        self._all_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._lock_fd: int | None = None
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock_fd = os.open(f"{self.path}-writelock", os.O_RDWR | os.O_CREAT, 0o600)

    # -- connections -------------------------------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (created on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves (see the module docstring).
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes; WAL keeps it consistent
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            # No checkpoint inside a COMMIT (a webhook's, while it holds the write lock): the lease holder
            # checkpoints in the background instead (`checkpoint()`).
            conn.execute("PRAGMA wal_autocheckpoint=0")
            # Deleted and overwritten content is zeroed, not left in free space for anyone reading the file:
            # "delete my data" and the retention purge must leave no trace (see bot/privacy.py).
            conn.execute("PRAGMA secure_delete=ON")
            self._local.conn = conn
            with self._all_lock:
                self._all.add(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on this thread's connection: committed on success, rolled back on error."""
        conn = self.conn
        if conn.in_transaction:  # nested use joins the outer transaction
            yield conn
            return
        # Writers queue on a Python lock (threads of this process) and then on an flock (other processes),
        # both of which wake the next writer the moment the lock is free. SQLite's own busy handler polls with
        # sleeps of 1, 2, 5, 10... ms and is unfair: under load a webhook could wait hundreds of milliseconds.
        with self._write_lock, self._process_lock():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    @contextmanager
    def _process_lock(self) -> Iterator[None]:
        if self._lock_fd is None:
            yield
            return
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextmanager
    def savepoint(self, name: str = "sp") -> Iterator[sqlite3.Connection]:
        """A nested unit inside a write transaction: its writes vanish alone if it raises."""
        conn = self.conn
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        else:
            conn.execute(f"RELEASE {name}")

    def checkpoint(self) -> tuple[int, int]:
        """Copy the WAL into the database without blocking anyone (PASSIVE). Returns (WAL pages, copied)."""
        busy, wal_pages, copied = self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return wal_pages, copied

    def truncate_wal(self, wait: float = 0.25) -> bool:
        """Copy the whole WAL into the database and empty the WAL file (TRUNCATE), so that no earlier version
        of a page, erased content included, stays in it. Writers of every process wait on the write lock
        meanwhile; readers still on the WAL are waited for at most `wait` seconds (then False: try again
        later, rather than hold every writer up). True when the WAL is empty."""
        conn = self.conn
        with self._write_lock, self._process_lock():
            conn.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
            try:
                busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        return busy == 0

    def db(self) -> sqlite_utils.Database:
        """sqlite-utils view of this thread's connection, for schema work and exports."""
        return sqlite_utils.Database(self.conn)

    def close(self) -> None:
        """Close every connection this store opened (all threads)."""
        with self._all_lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.ProgrammingError:
                    pass
            self._all.clear()
        self._local = threading.local()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- schema -----------------------------------------------------------------------------------------
    def migrate(self, migrations: Sequence[Migration] | None = None) -> list[str]:
        """Run, in order, the migrations this database has not recorded yet (default: those given last time), each in
        its own transaction with its record in `migrations`, so a step runs once in the database's life however
        many processes start at once. Returns the names run now. (simonw/llm's migrations.py, the same idea.)"""
        if migrations is not None:
            self.migrations = tuple(migrations)
        names = [m.name for m in self.migrations]
        if len(set(names)) != len(names):
            raise ValueError("two migrations have the same name")
        with self.write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
        done, ran, db = self.applied(), [], self.db()
        for migration in self.migrations:
            if migration.name in done:
                continue
            with self.write() as conn:  # checked again under the write lock: another process may have run it
                if conn.execute("SELECT 1 FROM migrations WHERE name = ?", (migration.name,)).fetchone():
                    continue
                migration.apply(db)
                conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (migration.name, time.time()))
            ran.append(migration.name)
        return ran

    def applied(self) -> set[str]:
        """The names of the migrations this database has recorded."""
        return {r[0] for r in self.conn.execute("SELECT name FROM migrations")}

    # -- small shared state -----------------------------------------------------------------------------
    def get_state(self, key: str) -> str | None:
        return read_state(self.conn, key).get(key)

    def set_state(self, key: str, value: str | None) -> None:
        with self.write() as conn:
            if value is None:
                drop_state(conn, key)
            else:
                put_state(conn, key, value)


def ensure_table(db: sqlite_utils.Database, name: str, columns: dict, *, pk: str,
                 not_null: set[str] | None = None, defaults: dict | None = None) -> None:
    """Create the table, or add the columns a newer version of the bot has and this database lacks.

    Deployments keep their database across upgrades, so every schema function must be safe to run on an old
    one. (sqlite-utils' `transform` would rebuild the table and commit inside our transaction.)
    """
    table = db[name]
    if not table.exists():
        table.create(columns, pk=pk, not_null=not_null or set(), defaults=defaults or {})
        return
    present = set(table.columns_dict)
    for column, kind in columns.items():
        if column not in present:
            default = (defaults or {}).get(column)
            table.add_column(column, kind, not_null_default=default if column in (not_null or set()) else None)
            if default is not None and column not in (not_null or set()):
                db.execute(f"UPDATE [{name}] SET [{column}] = ? WHERE [{column}] IS NULL", [default])


def state_schema(db: sqlite_utils.Database) -> None:
    """`runtime_state`: small values every process shares (a paused sender, the content version, ...)."""
    ensure_table(db, "runtime_state", {"key": str, "value": str, "updated_at": float}, pk="key")


def read_state(conn: sqlite3.Connection, *keys: str) -> dict[str, str]:
    """The values of `keys` that are set, inside the caller's transaction or not."""
    marks = ",".join("?" * len(keys))
    return dict(conn.execute(f"SELECT key, value FROM runtime_state WHERE key IN ({marks})", keys).fetchall())


def put_state(conn: sqlite3.Connection, key: str, value: str, now: float | None = None,
              keep_larger: bool = False) -> None:
    """Set `key` inside the caller's transaction; `keep_larger`: unless it holds a larger number already."""
    conn.execute(
        "INSERT INTO runtime_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
        "SET value = CASE WHEN ? AND CAST(value AS REAL) > CAST(excluded.value AS REAL) THEN value "
        "ELSE excluded.value END, updated_at = excluded.updated_at",
        (key, value, time.time() if now is None else now, keep_larger))


def drop_state(conn: sqlite3.Connection, key: str, value: str | None = None) -> int:
    """Unset `key` (only while it still holds `value`, when given) inside the caller's transaction."""
    if value is None:
        return conn.execute("DELETE FROM runtime_state WHERE key = ?", (key,)).rowcount
    return conn.execute("DELETE FROM runtime_state WHERE key = ? AND value = ?", (key, value)).rowcount


def declare(privacy, database: str = "main") -> None:
    if database == "main":
        privacy.not_personal("runtime_state", why="flags shared by the processes (paused sender, content version)")
    privacy.not_personal("migrations", database=database, why="which changes to the database have run, and when")
