"""The local ways to talk to the bot, as issue 18 found them: the web simulator's schedule cards collapsed to
4.8 px after three questions; the terminal chat showed a broadcast only after you typed something, and printed a
fake Graph API address that was not the running bot's."""
from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time

import requests

from conftest import ROOT
from test_browser import browser, shoot  # noqa: F401  (the shared Chromium fixture)

FLASK = [sys.executable, "-m", "flask", "--app", str(ROOT / "app.py")]


def test_schedule_cards_keep_their_height_after_three_questions_in_the_web_simulator(start_bot, browser):  # noqa: F811
    bot = start_bot(page_access_token=None)
    tab = browser.new_page(viewport={"width": 390, "height": 844})
    tab.goto(f"{bot.url}/simulator?psid=8951")
    tab.click("#start")
    tab.wait_for_selector("#quick button")
    for question in ("งานจัดวันไหนคะ", "ใครเป็นคนจัดงาน", "มีค่าใช้จ่ายไหม"):
        tab.fill("#text", question)
        tab.press("#text", "Enter")
        tab.wait_for_timeout(1500)
    tab.fill("#text", "ตารางงาน")
    tab.press("#text", "Enter")
    try:
        tab.click("#quick button:has-text('25 ก.ค.')", timeout=15_000)
    finally:
        shoot(tab, "simulator", "schedule-days")
    tab.wait_for_selector(".cards .tpl")
    tab.wait_for_timeout(300)
    heights = tab.eval_on_selector_all(".cards", "es => es.map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 80, heights  # a card: title, time, buttons
    shoot(tab, "simulator", "schedule-after-questions")
    tab.close()


def test_the_terminal_chat_shows_a_broadcast_without_input_and_the_running_bots_fake_graph(bot_process, tmp_path):
    running = bot_process(PAGE_ACCESS_TOKEN="", APP_SECRET="", VERIFY_TOKEN="", GRAPH_API_URL="").start()
    graph_url = requests.get(f"{running.url}/local/info", timeout=10).json()["graph_api_url"]
    env = {**running.env, "PYTHONUNBUFFERED": "1"}
    chat = subprocess.Popen(FLASK + ["chat", "--as", "8961", "--url", running.url], env=env, cwd=tmp_path, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(c) for c in iter(lambda: chat.stdout.read(1), "")], daemon=True).start()
    out = []

    def until(words: str, timeout: float = 30) -> str:
        deadline = time.time() + timeout
        while words not in "".join(out) and time.time() < deadline:
            try:
                out.append(lines.get(timeout=0.2))
            except queue.Empty:
                pass
        assert words in "".join(out), "".join(out)
        return "".join(out)

    try:
        until(f"(its fake Graph API: {graph_url})")  # the running bot's, not one this command's app started
        chat.stdin.write("สวัสดี\n")
        chat.stdin.flush()
        until("bot> สวัสดี")
        sent = subprocess.run(FLASK + ["broadcast", "--text", "📣 ไลฟ์เริ่มแล้ว ตอนนี้เลย"], env=running.env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert sent.returncode == 0, sent.stderr
        until("📣 ไลฟ์เริ่มแล้ว ตอนนี้เลย")  # nothing typed since: the watcher printed it
    finally:
        chat.stdin.close()
        chat.wait(20)
