"""Draw the layers from the real imports: `python docs/draw_imports.py` prints the mermaid diagram that
docs/architecture.md shows (tests/test_architecture.py checks that the page holds the current one).

Each box is a part of the code base (a package or the engine's modules), each arrow "imports from"; the graph is
read from the code by tests/test_architecture.py's `graph()` (the same reading that holds the layers).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

# A part, its label, and its row in the picture (the faces above, the engine and the platform below).
PARTS = {
    "app": "app.py<br/>create_app, python app.py",
    "handlers": "handlers/<br/>conversation features",
    "schedules": "schedules/<br/>scheduled jobs",
    "console": "bot/console/<br/>moderators' web console",
    "cli": "bot/cli/<br/>operators' commands",
    "screens": "bot/screens/<br/>public screens",
    "domain": "bot/domain/<br/>one owner per table",
    "understanding": "bot/understanding/<br/>reading a message",
    "engine": "bot/*.py engine<br/>runtime, store, dispatcher, inbox, lease, forms",
    "messenger": "bot/messenger/<br/>webhook, events, graph, replies, outbox",
}


def part(module: str) -> str:
    top, _, rest = module.partition(".")
    if top in ("app", "handlers", "schedules"):
        return top
    sub = rest.partition(".")[0]
    return sub if sub in PARTS else "engine"


def mermaid() -> str:
    from test_architecture import graph

    edges = sorted({(part(a), part(b)) for a, targets in graph().items() for b in targets if part(a) != part(b)})
    lines = ["flowchart TD"]
    lines += [f'    {name}["{label}"]' for name, label in PARTS.items()]
    lines += [f"    {a} --> {b}" for a, b in edges]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(mermaid(), end="")
