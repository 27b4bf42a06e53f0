"""The database across releases: every change is a named step run once and recorded (bot/domain/migrations.py),
and the database of the last release (made by its own code: tests/fixtures/make_release_database.py) upgrades on
start with its data intact and its people where they were."""
from __future__ import annotations

import json
import shutil
import sqlite3
import threading

from app import create_app
from bot import web
from bot.domain import migrations, moderators, registrations
from bot.domain.migrations import main as main_steps
from bot.store import Store
from conftest import ROOT, bot_settings, texts
from in_process import InProcessBot
from bot.messenger.fake_graph import FakeGraphState, InProcessGraph

RELEASE = ROOT / "tests" / "fixtures" / "release-ef41d65"


def schema_of(path) -> set:
    """Every table's columns and every index of a database file (what it is, not what it holds)."""
    conn = sqlite3.connect(path)
    try:
        shape = set()
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
            shape |= {(table, column, kind, notnull, default) for _, column, kind, notnull, default, _ in
                      conn.execute(f"PRAGMA table_info([{table}])")}
        shape |= {("index", name, sql) for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
        return shape
    finally:
        conn.close()


def release_chat(tmp_path) -> InProcessBot:
    """The bot, in this process, opening a copy of the last release's database (and its pseudonym key)."""
    for name in ("bot.sqlite3", "pseudonym.key"):
        shutil.copy(RELEASE / name, tmp_path / name)
    graph = InProcessGraph(FakeGraphState())
    return InProcessBot(create_app(bot_settings(tmp_path, graph.base_url, send_rate=10_000), graph=graph), graph)


def test_the_last_releases_database_upgrades_on_start_with_its_data_intact(tmp_path):
    chat = release_chat(tmp_path)
    try:
        with chat.db() as conn:
            recorded = [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY rowid")]
            assert recorded == [m.name for m in main_steps(None)]
            people = registrations.rows(conn)
            assert [(r["number"], r["full_name"], r["role"], r["topic"], r["team"]) for r in people] == [
                ("OGP4-000001", "มาลี ดีใจ", "student", "3", "ทีมรักษ์โลก"),
                ("OGP4-000002", "John Smith", "government", "1", None)]
            assert moderators.password_ok(conn, "somchai", "release-password-1")
            assert [tuple(r) for r in conn.execute("SELECT option, count(*) FROM votes GROUP BY option")] == [(1, 2), (2, 1)]
            assert conn.execute("SELECT state FROM broadcasts").fetchone()[0] == "done"
        # Its people carry on where they were: a form left at the role step, a vote changed (still one), their data.
        assert "หัวข้อ" in texts(chat.tap("1003", "นักเรียน", "REG:ROLE:student"))[0]
        chat.tap("1001", "2", "VOTE:1:2")
        shown = texts(chat.say("1001", "ข้อมูลของฉัน"))[0]
        assert "OGP4-000001" in shown and "มาลี ดีใจ" in shown
        result = chat.app.test_cli_runner().invoke(args=["poll", "results", "1", "--json"])
        assert [o["votes"] for o in json.loads(result.output)["options"]] == [1, 2]
    finally:
        chat.close()


def test_an_upgraded_database_has_the_schema_of_a_new_one(tmp_path):
    release_chat(tmp_path).close()
    (tmp_path / "new").mkdir()
    graph = InProcessGraph(FakeGraphState())
    web.of(create_app(bot_settings(tmp_path / "new", graph.base_url), graph=graph)).close()
    assert schema_of(tmp_path / "bot.sqlite3") == schema_of(tmp_path / "new" / "bot.sqlite3")


def test_a_step_runs_once_however_many_starts_and_processes_run_it(tmp_path):
    runs = []
    counted = migrations.STAGING + [migrations.Migration("900 counted", lambda db: runs.append(1))]
    path = tmp_path / "db.sqlite3"
    stores = [Store(path) for _ in range(4)]  # four processes' connections, starting at once
    threads = [threading.Thread(target=store.migrate, args=(counted,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert runs == [1] and stores[0].migrate(counted) == []  # and the next start runs nothing
    for store in stores:
        store.close()
