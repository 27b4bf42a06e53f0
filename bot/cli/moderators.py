"""Console accounts, for operators: `flask --app app add-moderator NAME` (the password is asked for, never an
argument) and `flask --app app remove-moderator NAME`; either ends the account's sessions at once."""
from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from ..domain import audit, moderators
from ..web import runtime


@click.command("add-moderator")
@click.argument("name")
@click.password_option(help="Asked for when not given (never put it on a command line others can see).")
@with_appcontext
def add_moderator(name: str, password: str) -> None:
    """Create (or reset the password of) a console account. A reset ends the account's sessions."""
    if len(password) < 10:
        raise click.ClickException("use a password of at least 10 characters")
    with runtime().store.write() as conn:
        ended = moderators.save_account(conn, name, moderators.hash_password(password), time.time())
        audit.record(conn, name, "account", f"created or reset (flask add-moderator); {ended} sessions ended")
    click.echo(f"moderator {name} can log in at /console" + (f" ({ended} sessions ended)" if ended else ""))


@click.command("remove-moderator")
@click.argument("name")
@with_appcontext
def remove_moderator(name: str) -> None:
    """Remove a console account; its sessions end at once."""
    with runtime().store.write() as conn:
        ended = moderators.remove_account(conn, name)
        if ended is None:
            raise click.ClickException(f"no moderator named {name!r}")
        audit.record(conn, name, "account", f"removed (flask remove-moderator); {ended} sessions ended")
    click.echo(f"moderator {name} removed; {ended} sessions ended")
