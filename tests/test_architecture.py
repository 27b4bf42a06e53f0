"""The layout keeps its promises (docs/architecture.md): read from the code itself, so it cannot drift.

- layers: the engine and the Messenger platform (bot/, bot/messenger/) know no feature; the domain (bot/domain/)
  knows no face; each face (handlers/, schedules/, bot/console/, bot/cli/, bot/screens/) uses what is below it and
  no other face; the console uses the domain only; no module imports itself back through others (no circle);
- every table of every database file has one owner module, the only one whose SQL names it;
- no module is over 400 lines.
"""
from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path

from conftest import ROOT, bot_settings

from app import create_app
from bot import web

SOURCES = ["app.py", "bot", "handlers", "schedules"]
LAYER = {"engine": 0, "platform": 0, "domain": 1, "console": 2, "cli": 2, "screens": 2, "handlers": 2,
         "schedules": 2, "app": 3}
SQL_TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE(?: IF NOT EXISTS)?|EXISTS|ON)\s+\[?([a-z_]+)\]?")
MAX_LINES = 400


def modules() -> dict[str, Path]:
    """Dotted name -> file, for the project's own Python (not tests, not benchmarks)."""
    found = {}
    for source in SOURCES:
        for path in sorted((ROOT / source).rglob("*.py")) if (ROOT / source).is_dir() else [ROOT / source]:
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def category(module: str) -> str:
    if module == "app":
        return "app"
    top, _, rest = module.partition(".")
    if top in ("handlers", "schedules"):
        return top
    sub = rest.partition(".")[0]
    return {"messenger": "platform", "domain": "domain", "console": "console", "cli": "cli",
            "screens": "screens"}.get(sub, "engine")


def imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules `module` imports (at any depth of its code)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                target = f"{base}.{alias.name}" if base else alias.name
                if target in known:
                    out.add(target)
                elif base in known:
                    out.add(base)
    return out - {module}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_no_layer_imports_one_above_it_and_faces_do_not_import_each_other():
    wrong = []
    for module, targets in graph().items():
        for target in targets:
            mine, theirs = category(module), category(target)
            if LAYER[theirs] > LAYER[mine] or (LAYER[theirs] == LAYER[mine] == 2 and theirs != mine):
                wrong.append(f"{module} ({mine}) imports {target} ({theirs})")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_console_uses_the_domain_only():
    allowed = ("bot.domain", "bot.console", "bot.web")
    wrong = [f"{module} imports {target}" for module, targets in graph().items() if category(module) == "console"
             for target in targets if not target.startswith(allowed)]
    assert not wrong, "\n".join(sorted(wrong))


def test_no_module_imports_itself_back():
    edges, circles = graph(), []
    index, low, stack, on_stack, counter = {}, {}, [], set(), [0]

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert not circles, circles


def sql_of(path: Path) -> list[str]:
    """Every string in the file's code (f-strings' literal parts included): where its SQL is."""
    texts = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
    return texts


def test_every_table_has_one_owner_module_the_only_one_whose_sql_names_it(tmp_path):
    app = create_app(bot_settings(tmp_path, "http://127.0.0.1:9"))
    runtime = web.of(app)
    try:
        tables = set()
        for store in (runtime.store, runtime.staging):
            tables |= {r[0] for r in store.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    finally:
        runtime.close()
    owners: dict[str, set[str]] = {table: set() for table in tables}
    for module, path in modules().items():
        for text in sql_of(path):
            for table in SQL_TABLE.findall(text):
                if table in owners:
                    owners[table].add(module)
    shared = {table: sorted(found) for table, found in owners.items() if len(found) != 1}
    assert not shared, f"tables whose SQL is in more than one module (or none): {shared}"


def test_no_module_is_over_400_lines():
    files = [p for source in (*SOURCES, "tests", "bench") for p in
             (sorted((ROOT / source).rglob("*.py")) if (ROOT / source).is_dir() else [ROOT / source])]
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long
