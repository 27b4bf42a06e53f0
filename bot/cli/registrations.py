"""The participants, for operators: `flask --app app export-registrations` and `flask --app app registrations`."""
from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext

from ..domain import registrations
from ..domain.agenda import TOPICS
from ..domain.registrations import ROLES
from ..web import runtime


@click.command("export-registrations")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default="-",
              help="File to write (default: standard output).")
@with_appcontext
def export_registrations(fmt: str, output: str) -> None:
    """All registrations: CSV in UTF-8 with a BOM (Excel shows Thai), or JSON."""
    rows = registrations.rows(runtime().store.conn)
    data = json.dumps(rows, ensure_ascii=False, indent=2) + "\n" if fmt == "json" else registrations.as_csv(rows)
    if output == "-":
        sys.stdout.buffer.write(data.encode("utf-8"))
        sys.stdout.flush()
    else:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            fh.write(data)
        click.echo(f"{len(rows)} registrations written to {output}", err=True)


@click.command("registrations")
@with_appcontext
def registration_counts() -> None:
    """Counts of registrations by role and by topic."""
    counts = registrations.counts(runtime().store.conn)
    click.echo(f"registered: {counts['status'].get('registered', 0)}   waitlisted: {counts['status'].get('waitlisted', 0)}")
    for column, labels in (("role", ROLES), ("topic", TOPICS)):
        click.echo(f"by {column}:")
        for label in labels:
            click.echo(f"  {label:<12} {counts[column].get(label, 0)}")


COMMANDS = (export_registrations, registration_counts)
