"""Starting, configuring and operating the bot from the command line."""
from __future__ import annotations

import json
import re
import os
import resource
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests

from bot import web
from bot.messenger import simulator
from conftest import ROOT, SECRET, TOKEN, free_port

FLASK = [sys.executable, "-m", "flask", "--app", str(ROOT / "app.py")]


def clean_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PAGE_ACCESS_TOKEN", "APP_SECRET", "VERIFY_TOKEN", "GRAPH_API_URL", "DATABASE_PATH")}
    env.update({"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), "CONTENT_DIR": str(ROOT / "content"),
                "PORT": str(free_port())})
    env.update(extra)
    return env


@pytest.mark.parametrize("env,named", [
    ({"PAGE_ACCESS_TOKEN": "x"}, "APP_SECRET"),
    ({"PAGE_ACCESS_TOKEN": "x", "APP_SECRET": "y"}, "VERIFY_TOKEN"),
    ({"SEND_RATE": "fast"}, "SEND_RATE"),
    ({"PORT": "http"}, "PORT"),
    ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"MODERATOR_PSIDS": "alice,bob"}, "MODERATOR_PSIDS"),
    ({"GRAPH_API_URL": "graph.facebook.com"}, "GRAPH_API_URL"),
    ({"PAGE_ID": "Opengovthailand"}, "PAGE_ID"),
])
def test_a_bad_setting_stops_the_start_with_one_line_naming_it(tmp_path, env, named):
    for command in ([sys.executable, str(ROOT / "app.py")], FLASK + ["setup-profile"]):
        run = subprocess.run(command, env=clean_env(tmp_path, **env), cwd=tmp_path, capture_output=True, text=True, timeout=30)
        assert run.returncode == 2
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0], run.stderr


def test_a_broken_content_file_stops_the_start_naming_file_and_entry(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    texts = (content / "texts.toml").read_text()
    (content / "texts.toml").write_text(texts.replace('[fallback]\nth = "ขออภัยค่ะ', '[fallback]\nthx = "ขออภัยค่ะ'))
    run = subprocess.run([sys.executable, str(ROOT / "app.py")], env=clean_env(tmp_path, CONTENT_DIR=str(content)),
                         cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert run.returncode == 2
    assert "texts.toml" in run.stderr and "'fallback'" in run.stderr and "th is missing" in run.stderr


def test_without_a_page_token_it_runs_in_local_mode_and_says_so_first(tmp_path):
    env = clean_env(tmp_path)
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = json.loads(proc.stdout.readline())
        assert first["event"].startswith("local mode") and first["mode"] == "local"
        url = f"http://127.0.0.1:{env['PORT']}"
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                info = requests.get(f"{url}/local/info", timeout=1).json()
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        graph = simulator.FakeGraph(info["graph_api_url"])
        # The local bot answers a signed message (local mode's default app secret) through its own fake.
        simulator.Webhook(url, "local-app-secret").send(simulator.text("4001", "สวัสดี"))
        assert simulator.texts_of(graph.wait_for(1, "4001"))[0].startswith("สวัสดีค่ะ")
    finally:
        proc.terminate()
        proc.wait(10)


def test_setup_profile_sets_the_page_profile_once(tmp_path, fake_graph):
    env = clean_env(tmp_path, PAGE_ACCESS_TOKEN=TOKEN, APP_SECRET=SECRET, VERIFY_TOKEN="v", GRAPH_API_URL=fake_graph.url)
    first = subprocess.run(FLASK + ["setup-profile"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("updated: ")
    profile = fake_graph.state.messenger_profile
    assert profile["get_started"] == {"payload": "GET_STARTED"}
    assert [g["locale"] for g in profile["greeting"]] == ["default", "en_US"]
    assert all(len(g["text"]) <= 160 for g in profile["greeting"])
    menus = {m["locale"]: m for m in profile["persistent_menu"]}
    assert "LANG:switch" in [a["payload"] for a in menus["default"]["call_to_actions"]]
    second = subprocess.run(FLASK + ["setup-profile"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert second.stdout.startswith("unchanged")
    assert fake_graph.state.profile_posts == 1


def test_setup_profile_reports_facebooks_refusal(tmp_path, fake_graph):
    env = clean_env(tmp_path, PAGE_ACCESS_TOKEN="expired", APP_SECRET=SECRET, VERIFY_TOKEN="v", GRAPH_API_URL=fake_graph.url)
    run = subprocess.run(FLASK + ["setup-profile"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert run.returncode != 0
    assert "code 190" in run.stderr and "expired" not in run.stderr + run.stdout


def test_chat_in_the_terminal_goes_through_the_webhook_and_numbers_the_choices(tmp_path):
    from app import create_app

    app = create_app({"DATABASE_PATH": str(tmp_path / "menu.sqlite3"), "CONTENT_DIR": str(ROOT / "content")})
    menu = [q.title for q in web.of(app).dispatcher.menu_quick_replies("th")]
    web.of(app).stop()
    english = menu.index("🌐 English") + 1
    env = clean_env(tmp_path)
    run = subprocess.run(FLASK + ["chat", "--as", "4100"], env=env, cwd=tmp_path, text=True, capture_output=True,
                         input=f"สวัสดีครับ\n{english}\nWhen is the hackathon?\n/sticker\n/quit\n", timeout=60)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "bot> สวัสดีค่ะ คุณสมชาย" in out  # the local fake's default profile
    assert "  ".join(f"[{i}] {title}" for i, title in enumerate(menu, 1)) in out
    assert "bot> Switched to English" in out  # the number picked the quick reply
    assert "17–19 July and 25 July 2020" in out  # the FAQ answers in English
    assert "Nice sticker" in out


def test_logs_are_json_lines_and_never_contain_secrets(bot_process, fake_graph, tmp_path):
    process = bot_process(LOG_LEVEL="DEBUG").start()
    hook = simulator.Webhook(process.url, SECRET)
    hook.send(simulator.text("4200", "สวัสดี"))
    simulator.FakeGraph(fake_graph.url).wait_for(1, "4200")
    fake_graph.state.token = "rotated"  # now every call fails with 190: the error path logs too
    hook.send(simulator.text("4201", "สวัสดี"))
    time.sleep(1.0)
    hook.post(simulator.page_body([simulator.text("4202", "x")]), signature="sha256=bad")
    process.stop()
    log = process.log_path.read_text()
    assert "paused_invalid_token" in log
    assert TOKEN not in log and SECRET not in log
    for line in log.splitlines():
        if line.startswith("{"):
            json.loads(line)


def test_the_default_log_keeps_out_apschedulers_routine_lines(bot_process):
    """APScheduler writes two INFO lines for every run of every job (the broadcast sweep runs twice a second)."""
    process = bot_process().start()  # LOG_LEVEL=INFO, the default
    time.sleep(3.0)
    process.stop()
    lines = [json.loads(line) for line in process.log_path.read_text().splitlines() if line.startswith("{")]
    assert lines and not [line for line in lines if line["logger"].startswith("apscheduler")]
    # It says which Page it is (no PAGE_ID here: Facebook was asked).
    assert [(line["page_id"], line["source"]) for line in lines if line["event"] == "page"] == [(simulator.PAGE_ID, "GET /me")]


def _file_size_limit(limit: int):
    def apply() -> None:  # in the bot's process: files stop growing at `limit` bytes, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG: SQLite says "disk is full"
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


regex_inbox_error = re.compile(r'"event": "inbox\.(?:fetch_error|batch_retry)"')


def test_a_full_disk_is_reported_once_with_its_cause_and_webhooks_are_not_acknowledged(bot_process):
    """The database files may not grow past 3 MB (RLIMIT_FSIZE, as a full disk would stop them). SQLite reports
    that limit as "disk I/O error" (a really full disk reads "database or disk is full"): the path is the same.
    Every webhook, inbox and outbox loop fails with the same error, many times a second; each is written once."""
    process = bot_process().start(preexec_fn=_file_size_limit(3 * 1024 * 1024))
    hook = simulator.Webhook(process.url, SECRET)
    big = "ก" * 150_000  # a 900 KB webhook, 450 KB stored: a few of these fill the 3 MB a file may take
    statuses = [hook.post(simulator.page_body([simulator.text(f"43{i:02d}", big)])).status_code for i in range(12)]
    statuses += [hook.post(simulator.page_body([simulator.text(f"44{i:02d}", "สวัสดี")])).status_code
                 for i in range(150)]
    # The runner meets the full disk when it next moves staged events on (after its start-up work, such as
    # loading the understanding model, on a busy machine): wait for it rather than for a fixed time.
    deadline = time.monotonic() + 30
    while not regex_inbox_error.search(process.log_path.read_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    process.stop()
    # Facebook keeps what we could not store and delivers it again. (Space comes back as the runner moves staged
    # events on, so a later webhook may be stored again.)
    assert statuses[0] == 200 and 503 in statuses and 500 not in statuses
    lines = [json.loads(line) for line in process.log_path.read_text().splitlines() if line.startswith("{")]
    failures = [line for line in lines if line.get("error_type") == "OperationalError"]
    # The webhook's and the runner's loops both met it (the runner's where it met it first: moving staged events
    # on, or committing a batch they were handled in).
    events = {line["event"] for line in failures}
    assert "webhook.not_stored" in events and events & {"inbox.fetch_error", "inbox.batch_retry"}
    assert all(line["error"] in ("disk I/O error", "database or disk is full") for line in failures)
    by_event: dict = {}
    for line in failures:
        by_event.setdefault((line["logger"], line["event"]), []).append(line)
    assert all(len(same) == 1 for same in by_event.values()), {k: len(v) for k, v in by_event.items()}
    assert not [line for line in lines if line["level"] == "error" and "error" not in line]  # no error without its cause
