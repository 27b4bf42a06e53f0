"""The baseline for bench/ingest.py: a Flask endpoint that reads the body and returns 200, nothing else.

Served by gunicorn with the bot's own gunicorn.conf.py, so the ratio bot / bare measures what the bot's
webhook adds (signature, parsing, the inbox transaction, the workers running beside it), not the server.
"""
from flask import Flask, request

app = Flask(__name__)


@app.post("/webhook")
def webhook():
    request.get_data()
    return "EVENT_RECEIVED", 200


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
