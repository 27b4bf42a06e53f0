"""The database across upgrades: a database made by an earlier version keeps working."""
from __future__ import annotations

import sqlite3

from app import create_app
from bot import web
from conftest import bot_settings


def test_a_database_from_an_earlier_version_gains_the_new_columns_and_keeps_its_rows(tmp_path, fake_graph):
    path = tmp_path / "bot.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE outbox (id INTEGER PRIMARY KEY, recipient_key TEXT NOT NULL, psid TEXT, request TEXT NOT NULL,
            intent TEXT NOT NULL, tag TEXT, status TEXT NOT NULL DEFAULT 'queued', attempts INTEGER DEFAULT 0,
            next_attempt_at REAL DEFAULT 0, created_at REAL NOT NULL, finished_at REAL, message_id TEXT, error TEXT,
            source_event_id INTEGER, dedup_key TEXT, batch TEXT);
        INSERT INTO outbox (recipient_key, psid, request, intent, status, created_at)
            VALUES ('42', '42', '{}', 'UPDATE', 'sent', 1);
    """)
    old.close()
    app = create_app(bot_settings(tmp_path, fake_graph.url))
    try:
        conn = sqlite3.connect(path)
        columns = [r[1] for r in conn.execute("PRAGMA table_info(outbox)")]
        assert {"claimed_by", "claimed_at"} <= set(columns)
        assert conn.execute("SELECT recipient_key, status FROM outbox").fetchall() == [("42", "sent")]
        conn.close()
    finally:
        web.of(app).stop()
        web.of(app).close()
