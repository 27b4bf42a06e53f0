"""Synthetic opinion rounds with known answers, for the tests and bench/opinions.py.

Participants belong to planted opinion groups; each group has a stance (+1 agree, -1 disagree) on every
statement. A few planted consensus statements are agreed by every group; on every other statement at least one
group agrees and one disagrees, so the planted consensus is the only consensus there is. Each participant votes
on a random subset of the statements (the order Pol.is would show them does not matter to the analysis): a
pass with probability ``pass_rate``, otherwise their group's stance, flipped with probability ``noise``. Some
``drive_by`` participants leave fewer than 7 votes, as real rounds have.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Vote = tuple[str, int, int]


@dataclass(frozen=True)
class PlantedRound:
    """``votes`` (participant key, statement id, +1/-1/0); ``statement_ids`` 1..S; ``group_of`` each
    participant's planted group (0..K-1); ``consensus_ids`` the planted consensus statements; ``stances``
    [group][statement index] the planted +1/-1."""

    votes: tuple[Vote, ...]
    statement_ids: tuple[int, ...]
    group_of: dict[str, int]
    consensus_ids: frozenset[int]
    stances: tuple[tuple[int, ...], ...]


def planted_round(participants: int = 2000, groups: int = 3, statements: int = 60, consensus: int = 6, *,
                  shares: tuple[float, ...] | None = None, seen: tuple[int, int] = (10, 60),
                  pass_rate: float = 0.15, noise: float = 0.1, drive_by: float = 0.05, seed: int = 0) -> PlantedRound:
    """A round of ``participants`` people in ``groups`` planted groups (sizes in proportion to ``shares``,
    default 50/30/20 % for three, equal otherwise) voting on ``statements`` statements of which the first
    ``consensus`` are agreed by all. Each person votes on a uniform number of statements in ``seen``
    (clipped to ``statements``), a ``drive_by`` share of them on 1 to 6 only. Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    if shares is None:
        shares = (0.5, 0.3, 0.2) if groups == 3 else (1.0,) * groups
    weights = np.asarray(shares, dtype=float) / sum(shares)
    stances = np.ones((groups, statements), dtype=int)
    for s in range(consensus, statements):
        while True:  # each non-consensus statement splits the groups: somebody for, somebody against
            column = rng.choice((-1, 1), size=groups)
            if groups == 1 or len(set(column)) == 2:
                break
        stances[:, s] = column
    group_of: dict[str, int] = {}
    votes: list[Vote] = []
    low, high = min(seen[0], statements), min(seen[1], statements)
    for p in range(participants):
        key = f"p{p:05d}"
        group = int(rng.choice(groups, p=weights))
        group_of[key] = group
        if rng.random() < drive_by:
            many = int(rng.integers(1, min(7, statements + 1)))
        else:
            many = int(rng.integers(low, high + 1))
        for s in rng.choice(statements, size=many, replace=False):
            if rng.random() < pass_rate:
                vote = 0
            else:
                vote = int(stances[group, s]) * (-1 if rng.random() < noise else 1)
            votes.append((key, int(s) + 1, vote))
    return PlantedRound(tuple(votes), tuple(range(1, statements + 1)), group_of,
                        frozenset(range(1, consensus + 1)), tuple(tuple(int(v) for v in row) for row in stances))
