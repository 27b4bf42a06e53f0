"""How well the bot understands citizens, end to end: every question of a TSV goes through the real signed
webhook to a running bot, and the replies are read back from the fake Graph API.

    python bench/eval_faq.py [--file ../shared/faq-dev.tsv] [--method hybrid|blend|lexical|embedding] [--quiet]

The file: `question<TAB>expect[<TAB>kind]`. expect is one of
- a fact: groups joined by " ; ", alternatives by "|"; the reply must contain one alternative of every group
  (case-insensitive);
- OOS (out of scope): the bot must decline (its "I don't know that yet" reply) and state none of the event's facts;
- @intent: the reply must be that feature's own (@schedule: the days; @vote: the open polls; @register: the
  start of registration ...); a feature still to come (@ask_speakers ...) must be said to be not here yet.
kind (fact, feature, typo, slang, oos) defaults to oos for OOS, feature for @intent, fact otherwise; the language
(th, en, mix) is read from the question.

Each reply is one of: right; wrong (a confident answer or feature that is not the expected one); unsure (a
"did you mean"); declined. Printed per language and per kind, with the replies in another language than the
question's (a question in English is answered in English even when the person's profile says Thai).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from bot import web  # noqa: E402
from bot.messenger import simulator  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.messenger.fake_graph import FakeGraphServer  # noqa: E402
from bot.http_server import BackgroundServer  # noqa: E402

SECRET = "eval-secret"
FACTS = ("17", "19", "25", "52", "186", "43", "ก.พ.ร.", "OPDC", "กระทรวง", "ministr", "Opengovthailand")
KINDS = ("fact", "feature", "typo", "slang", "oos")


def read(path: Path) -> list[tuple[str, str, str]]:
    """(question, expect, kind) rows; blank lines and # comments skipped."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            question, expect, *rest = line.split("\t")
            expect = expect.strip()
            kind = rest[0].strip() if rest and rest[0].strip() else (
                "oos" if expect == "OOS" else "feature" if expect.startswith("@") else "fact")
            rows.append((question, expect, kind))
    return rows


def language(question: str) -> str:
    has_thai = any("\u0e00" <= ch <= "\u0e7f" for ch in question)
    has_latin = any("a" <= ch.lower() <= "z" for ch in question)
    return "mix" if has_thai and has_latin else "th" if has_thai else "en"


class Replies:
    """What the bot sent one person: texts and quick-reply payloads, and how to recognise its own sentences."""

    def __init__(self, messages: list[dict], texts):
        self.messages = [m for m in messages if "message" in m["body"]]
        self.texts = simulator.texts_of(self.messages)
        self.payloads = [q.get("payload", "") for m in self.messages for q in simulator.quick_replies_of(m)]
        self.cards = any(((m["body"]["message"].get("attachment") or {}).get("payload") or {}).get("template_type")
                         == "generic" for m in self.messages)
        self._texts = texts

    @property
    def joined(self) -> str:
        return "\n".join(self.texts)

    def says(self, *keys: str) -> bool:
        """Whether a message starts with one of these sentences of content/texts.toml (either language)."""
        for key in keys:
            for lang in ("th", "en"):
                try:
                    sentence = self._texts.raw(key, lang)
                except KeyError:
                    continue
                start = sentence.split("{", 1)[0][:20].strip()
                if start and any(t.strip().startswith(start) for t in self.texts):
                    return True
        return False

    def offers(self, prefix: str) -> bool:
        return any(p == prefix or (prefix.endswith(":") and p.startswith(prefix)) for p in self.payloads)


# How each feature's own reply is recognised (its quick replies, or the sentence it starts with).
FEATURES = {
    "register": lambda r: r.offers("REG:"),
    "schedule": lambda r: r.offers("SCHEDULE:DAY:") and r.says("schedule_pick_day", "schedule_day_named"),
    "now": lambda r: r.says("schedule_now", "schedule_now_none"),
    "next": lambda r: (r.cards and r.offers("SCHEDULE:NOW")
                       and not r.says("schedule_now", "schedule_now_none", "schedule_day_named"))
                      or r.says("schedule_next_none"),
    "remind": lambda r: r.says("remind_offer", "remind_list", "remind_none"),
    "vote": lambda r: r.offers("REMIND:POLLS") or r.offers("VOTE:"),
    "my_data": lambda r: r.offers("DATA:DELETE"),
    "delete_data": lambda r: r.offers("DATA:DELETE:yes"),
    "human": lambda r: r.says("handover_started", "handover_offer"),
    "language": lambda r: r.says("language_set", "language_offer"),
    "greeting": lambda r: r.says("greeting", "greeting_named"),
    "thanks": lambda r: r.says("thanks"),
    "ask_speakers": lambda r: r.says("qa_none_open", "qa_ask_question", "qa_ask_session"),
    "see_questions": lambda r: r.says("qa_none_open", "qa_list_header", "qa_list_empty"),
    # Opinion rounds (issue 17): the first statement, the choice of rounds, or "no round is open".
    "opinion": lambda r: r.says("opinion_none_open", "opinion_pick_round", "opinion_intro", "opinion_statement"),
    "standing": lambda r: r.says("opinion_standing_none", "opinion_standing_more", "opinion_standing_wait",
                                       "opinion_standing"),
}


def outcome(expect: str, r: Replies) -> str:
    """right | wrong | unsure | declined."""
    declined, unsure = r.says("faq_unknown"), r.says("faq_unsure")
    if expect == "OOS":
        if declined and not any(fact.lower() in r.joined.lower() for fact in FACTS):
            return "right"
        return "unsure" if unsure else "declined" if declined else "wrong"
    if declined:
        return "declined"
    if unsure:
        return "unsure"
    if expect.startswith("@"):
        feature = expect[1:]
        check = FEATURES.get(feature)
        right = check(r) if check else r.says("intent_unavailable")
        return "right" if right else "wrong"
    groups = [g.split("|") for g in expect.split(" ; ")]
    right = all(any(alt.strip().lower() in r.joined.lower() for alt in group) for group in groups)
    return "right" if right else "wrong"


def reply_language(r: Replies) -> str | None:
    text = r.texts[0] if r.texts else ""
    thai = sum("\u0e00" <= ch <= "\u0e7f" for ch in text)
    latin = sum("a" <= ch.lower() <= "z" for ch in text)
    return None if not (thai or latin) else "th" if thai >= latin else "en"


def table(title: str, groups: dict[str, list[tuple[str, bool]]], order) -> None:
    print(f"\n{title:<10} {'n':>4} {'right':>7} {'wrong':>7} {'unsure':>7} {'decline':>8} {'other lang':>11}")
    for name in order:
        results = groups.get(name)
        if not results:
            continue
        n = len(results)
        share = {k: sum(o == k for o, _ in results) / n for k in ("right", "wrong", "unsure", "declined")}
        other = sum(1 for _, wrong_language in results if wrong_language)
        print(f"{name:<10} {n:>4} {share['right']:>7.1%} {share['wrong']:>7.1%} {share['unsure']:>7.1%} "
              f"{share['declined']:>8.1%} {other:>11}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, default=ROOT.parent / "shared" / "faq-dev.tsv")
    parser.add_argument("--method", choices=("hybrid", "lexical", "embedding", "blend"), default=None,
                        help="how the bot reads questions (the UNDERSTANDING setting; default: the bot's own)")
    parser.add_argument("--quiet", action="store_true", help="print only the misses and the totals")
    args = parser.parse_args()
    if not args.file.is_file():
        print(f"error: {args.file} not found", file=sys.stderr)
        return 2
    rows = read(args.file)
    tmp = Path(tempfile.mkdtemp(prefix="eval-faq-"))
    overrides = {"understanding": args.method} if args.method else {}
    with FakeGraphServer() as fake:
        settings = Settings(page_access_token="eval-token", app_secret=SECRET, verify_token="eval",
                            graph_api_url=fake.url, database_path=tmp / "bot.sqlite3", content_dir=ROOT / "content",
                            log_level="WARNING", **overrides)
        app = create_app(settings)
        bot = web.of(app)
        server = BackgroundServer(app).start()
        bot.start()
        texts = bot.content.texts
        try:
            hook, graph = simulator.Webhook(server.url, SECRET), simulator.FakeGraph(fake.url)
            started = time.perf_counter()
            for n, (question, _, _) in enumerate(rows):
                hook.send(simulator.text(f"9{n:05d}", question))
            for n in range(len(rows)):
                graph.wait_for(1, f"9{n:05d}", timeout=60)
            time.sleep(0.5)  # any second message of an answer
            by_language, by_kind, total = defaultdict(list), defaultdict(list), []
            for n, (question, expect, kind) in enumerate(rows):
                replies = Replies(graph.messages(f"9{n:05d}"), texts)
                result = outcome(expect, replies)
                lang = language(question)
                wanted = "en" if lang == "en" else "th"
                got = reply_language(replies)
                wrong_language = result != "declined" and got is not None and got != wanted and expect != "OOS"
                for groups, key in ((by_language, lang), (by_kind, kind)):
                    groups[key].append((result, wrong_language))
                total.append((result, wrong_language))
                if result != "right" or wrong_language or not args.quiet:
                    first_line = replies.texts[0].splitlines()[0] if replies.texts else "(no text)"
                    mark = {"right": "ok  ", "wrong": "WRONG", "unsure": "unsure", "declined": "DECLINED"}[result]
                    lang_note = f" [answered in {got}]" if wrong_language else ""
                    print(f"{mark:<8} {kind:<7} {question}  ->  {first_line[:80]}{lang_note}")
            elapsed = time.perf_counter() - started
        finally:
            server.stop()
            bot.stop()
            bot.close()
    table("language", by_language, ("th", "en", "mix"))
    table("kind", by_kind, KINDS + tuple(sorted(set(by_kind) - set(KINDS))))
    table("all", {"all": total}, ("all",))
    right = sum(o == "right" for o, _ in total)
    oos_wrong = sum(o == "wrong" for o, _ in by_kind.get("oos", []))
    print(f"\naccuracy: {right}/{len(rows)} = {right / len(rows):.1%}; confident wrong answers to out-of-scope "
          f"questions: {oos_wrong} ({args.file.name}, method {args.method or 'default'}, through the webhook, "
          f"{elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
