"""How well the near-duplicate suggestions of the moderation queue work (bot/domain/question_text.py).

Reads bench/question_pairs.tsv (pairs of audience questions, labelled 1 when a moderator would merge them, Thai,
English and across the two) and prints, for thresholds around DUPLICATE_SIMILARITY, how many suggested pairs are
real duplicates (precision) and how many real duplicates are suggested (recall). Run: .venv/bin/python
bench/questions_duplicates.py
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain.question_text import DUPLICATE_SIMILARITY  # noqa: E402
from bot.understanding.embedding import ENCODER  # noqa: E402

PAIRS = Path(__file__).with_name("question_pairs.tsv")


def main() -> None:
    lines = [line for line in PAIRS.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t"))
    scores = []
    for row in rows:
        a, b = ENCODER.encode([row["a"], row["b"]])
        scores.append((float(a @ b), row["label"] == "1"))
    positives = sum(same for _, same in scores)
    print(f"{len(rows)} pairs, {positives} duplicates; model {ENCODER.model}")
    print("threshold  precision  recall  suggested")
    for threshold in sorted({0.55, 0.60, DUPLICATE_SIMILARITY, 0.70, 0.75, 0.80}):
        suggested = [same for score, same in scores if score >= threshold]
        precision = sum(suggested) / len(suggested) if suggested else 1.0
        recall = sum(suggested) / positives
        mark = "  <- DUPLICATE_SIMILARITY" if threshold == DUPLICATE_SIMILARITY else ""
        print(f"{threshold:9.2f}  {precision:9.2f}  {recall:6.2f}  {len(suggested):9d}{mark}")


if __name__ == "__main__":
    main()
