"""FAQ accuracy, end to end: every question of a TSV goes through the real signed webhook to a running bot, and
the replies are read back from the fake Graph API.

    python bench/eval_faq.py [--file ../shared/faq-dev.tsv]

The file: `question<TAB>expect`; expect is groups joined by " ; ", alternatives by "|": the reply must contain
one alternative of every group (case-insensitive). OOS means out of scope: the bot must decline (its "I don't
know that yet" reply) and state none of the event's facts.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from bot import simulator  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.fake_graph import FakeGraphServer  # noqa: E402
from bot.http_server import BackgroundServer  # noqa: E402

SECRET = "eval-secret"
FACTS = ("17", "19", "25", "52", "186", "43", "ก.พ.ร.", "OPDC", "กระทรวง", "ministr", "Opengovthailand")


def read(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            question, expect = line.split("\t", 1)
            rows.append((question, expect.strip()))
    return rows


def judge(expect: str, reply: str, declines: tuple[str, ...]) -> bool:
    if expect == "OOS":
        return reply.startswith(declines) and not any(fact.lower() in reply.lower() for fact in FACTS)
    groups = [g.split("|") for g in expect.split(" ; ")]
    return all(any(alt.strip().lower() in reply.lower() for alt in group) for group in groups)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, default=ROOT.parent / "shared" / "faq-dev.tsv")
    parser.add_argument("--quiet", action="store_true", help="print only the failures and the total")
    args = parser.parse_args()
    if not args.file.is_file():
        print(f"error: {args.file} not found", file=sys.stderr)
        return 2
    rows = read(args.file)
    tmp = Path(tempfile.mkdtemp(prefix="eval-faq-"))
    with FakeGraphServer() as fake:
        settings = Settings(page_access_token="eval-token", app_secret=SECRET, verify_token="eval",
                            graph_api_url=fake.url, database_path=tmp / "bot.sqlite3", content_dir=ROOT / "content",
                            log_level="WARNING")
        app = create_app(settings)
        bot = app.extensions["bot"]
        server = BackgroundServer(app).start()
        bot.start()
        texts = bot.content.texts
        declines = (texts.get("faq_unknown", "th")[:20], texts.get("faq_unknown", "en")[:20])
        try:
            hook, graph = simulator.Webhook(server.url, SECRET), simulator.FakeGraph(fake.url)
            started = time.perf_counter()
            for n, (question, _) in enumerate(rows):
                hook.send(simulator.text(f"9{n:05d}", question))
            right = 0
            for n, (question, expect) in enumerate(rows):
                graph.wait_for(1, f"9{n:05d}")
            time.sleep(0.5)  # any second message of an answer
            for n, (question, expect) in enumerate(rows):
                reply = "\n".join(simulator.texts_of(graph.messages(f"9{n:05d}")))
                ok = judge(expect, reply, declines)
                right += ok
                if not ok or not args.quiet:
                    first_line = reply.splitlines()[0] if reply else "(no reply)"
                    print(f"{'ok ' if ok else 'MISS'} {question}  ->  {first_line[:90]}")
            elapsed = time.perf_counter() - started
        finally:
            server.stop()
            bot.stop()
            bot.close()
    print(f"\naccuracy: {right}/{len(rows)} = {right / len(rows):.1%} ({args.file.name}, through the webhook, {elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
