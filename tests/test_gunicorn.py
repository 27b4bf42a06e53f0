"""Production layout: gunicorn web workers acknowledge, a spawned runner process does the background work."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests

from bot.messenger import simulator
from conftest import ROOT, SECRET, TOKEN, VERIFY, free_port


def wait_until(condition, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if condition():
                return True
        except requests.RequestException:  # not up yet, or slow under load: ask again
            pass
        time.sleep(0.1)
    return False


def test_gunicorn_runs_a_runner_beside_the_web_workers_and_survives_losing_it(tmp_path, fake_graph):
    port = free_port()
    env = {**os.environ, "PAGE_ACCESS_TOKEN": TOKEN, "APP_SECRET": SECRET, "VERIFY_TOKEN": VERIFY,
           "GRAPH_API_URL": fake_graph.url, "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
           "CONTENT_DIR": str(ROOT / "content"), "PORT": str(port), "LOG_LEVEL": "WARNING",
           # A loaded CI machine can take more than 5 s to start the runner (it then failed: a web worker led).
           "BOT_STANDBY_GRACE": "15", "PUBLIC_SCREENS": "0"}  # public screens: tests/test_public_screens.py
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "app:create_app()"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    graph = simulator.FakeGraph(fake_graph.url)
    try:
        assert wait_until(lambda: requests.get(f"{url}/healthz", timeout=2).status_code == 200, timeout=30)
        health = requests.get(f"{url}/healthz", timeout=10).json()
        assert health["this_process_leads"] is False  # the web worker does not run the background work
        runner_pid = int(health["leader"]["owner"].split(":")[1])
        assert "worker" in open(f"/proc/{runner_pid}/cmdline").read()
        assert os.getpriority(os.PRIO_PROCESS, runner_pid) == 5  # niced below the web workers

        hook = simulator.Webhook(url, SECRET)
        hook.send(simulator.text("5001", "สวัสดี"))
        assert simulator.texts_of(graph.wait_for(1, "5001"))[0].startswith("สวัสดีค่ะ")
        hook.send(simulator.text("5003", "ขอตารางงานหน่อยค่ะ"))  # read by the understanding step, in the runner
        assert simulator.texts_of(graph.wait_for(1, "5003", timeout=20))[0].startswith("📅 ตารางงาน")
        for _ in range(4):  # whichever web worker answers: none loaded the embedding model
            assert requests.get(f"{url}/healthz", timeout=10).json()["embedding_model_loaded"] is False

        os.kill(runner_pid, signal.SIGKILL)
        assert wait_until(lambda: int(requests.get(f"{url}/healthz", timeout=10).json()["leader"]["owner"].split(":")[1]) != runner_pid)
        hook.send(simulator.text("5002", "สวัสดี"))
        assert simulator.texts_of(graph.wait_for(1, "5002"))[0].startswith("สวัสดีค่ะ")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
