"""What the opinion groups think (bot/domain/opinion_map.py places them): how each group voted on each statement,
the statements that set a group apart, those every group agrees with or rejects (consensus), and those that split
them (divisive). Pol.is's own statistics (compdemocracy/polis, math/src/polismath/math/: stats.clj, repness.clj),
rule by rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Direction = Literal["agree", "disagree"]

MAX_DISTINCTIVE = 5  # repness.clj select-rep-comments: (take 5)
Z_90 = 1.2816  # stats.clj z-sig-90?: 90 % confidence, one-sided
ROUND = 4  # decimals kept in the result: enough to draw and compare, small JSON


def num(value: float) -> float:
    return round(float(value), ROUND) + 0.0  # + 0.0 turns -0.0 into 0.0


@dataclass(frozen=True)
class GroupVotes:
    """How one group voted on one statement: counts among its counted participants; ``seen`` = the three
    summed; ``agree_ratio`` = agree / seen (0 when nobody in the group voted on it)."""

    group: int
    agree: int
    disagree: int
    passed: int
    seen: int
    agree_ratio: float

    @classmethod
    def of(cls, group: int, agree: int, disagree: int, seen: int) -> GroupVotes:
        return cls(group, agree, disagree, seen - agree - disagree, seen, num(agree / seen) if seen else 0.0)


@dataclass(frozen=True)
class Distinctive:
    """A statement that sets a group apart (Pol.is "representative comment", repness.clj
    ``finalize-cmt-stats``). ``direction``: whether the group stands out by agreeing or by disagreeing.
    ``count`` of ``seen`` in the group voted that way; ``probability`` = (count + 1) / (seen + 2);
    ``probability_z`` its one-proportion z against 0.5; ``repness`` = probability / the same for everyone
    else (> 1: more than the rest); ``repness_z`` the two-proportion z of group against the rest.
    ``significant``: both z above 1.2816 (90 %); False only for a group's fallback statement."""

    statement_id: int
    direction: Direction
    count: int
    seen: int
    probability: float
    probability_z: float
    repness: float
    repness_z: float
    significant: bool


@dataclass(frozen=True)
class Consensus:
    """A statement every group agrees with (``direction="agree"``) or every group rejects. ``score`` is the
    product over groups of (count + 1) / (seen + 2), Pol.is's group-aware consensus; ``groups`` in group order."""

    statement_id: int
    direction: Direction
    score: float
    groups: tuple[GroupVotes, ...]


@dataclass(frozen=True)
class Divisive:
    """A statement that splits the groups: one group's significant majority agrees, another's disagrees.
    ``spread`` = max minus min over groups of (agree - disagree) / seen, smoothed as Pol.is does; 0 to 2."""

    statement_id: int
    spread: float
    groups: tuple[GroupVotes, ...]


def prop_test(successes: NDArray, trials: NDArray) -> NDArray:
    """stats.clj ``prop-test``: z of (successes + 1) / (trials + 1) against 0.5."""
    return 2 * np.sqrt(trials + 1) * ((successes + 1) / (trials + 1) - 0.5)


def two_prop_test(succ_in: NDArray, succ_out: NDArray, pop_in: NDArray, pop_out: NDArray) -> NDArray:
    """stats.clj ``two-prop-test``: z of the in-group proportion against the out-group's, each count + 1;
    0 where the pooled proportion is 1."""
    s1, s2, n1, n2 = succ_in + 1, succ_out + 1, pop_in + 1, pop_out + 1
    pooled = (s1 + s2) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pooled >= 1, 0.0, (s1 / n1 - s2 / n2) / spread)


@dataclass(frozen=True)
class GroupStats:
    """repness.clj ``comment-stats`` and ``add-comparitive-stats``, every array (groups, statements):
    n* counts (a agree, d disagree, s seen), p* = (n + 1) / (s + 2), p*t their z, r* the ratio to the rest of
    the counted participants, r*t the two-proportion z against the rest."""

    na: NDArray
    nd: NDArray
    ns: NDArray
    pa: NDArray
    pd: NDArray
    pat: NDArray
    pdt: NDArray
    ra: NDArray
    rd: NDArray
    rat: NDArray
    rdt: NDArray

    @classmethod
    def of(cls, votes: NDArray[np.float64], labels: NDArray[np.intp]) -> GroupStats:
        membership = np.stack([labels == g for g in range(labels.max() + 1)]).astype(float)
        na, nd, ns = (membership @ (votes == 1), membership @ (votes == -1), membership @ ~np.isnan(votes))
        rest_na, rest_nd, rest_ns = na.sum(0) - na, nd.sum(0) - nd, ns.sum(0) - ns
        pa, pd = (na + 1) / (ns + 2), (nd + 1) / (ns + 2)
        return cls(na, nd, ns, pa, pd, prop_test(na, ns), prop_test(nd, ns),
                   pa / ((rest_na + 1) / (rest_ns + 2)), pd / ((rest_nd + 1) / (rest_ns + 2)),
                   two_prop_test(na, rest_na, ns, rest_ns), two_prop_test(nd, rest_nd, ns, rest_ns))

    def votes(self, statement: int) -> tuple[GroupVotes, ...]:
        return tuple(GroupVotes.of(g, int(self.na[g, statement]), int(self.nd[g, statement]),
                                   int(self.ns[g, statement])) for g in range(len(self.na)))

    def best_z(self, g: int, i: int) -> float:
        """The higher of the agree and disagree two-proportion z: what ``finalised`` reports as repness_z."""
        return float(max(self.rat[g, i], self.rdt[g, i]))

    def metric(self, g: int, i: int) -> float:
        """repness.clj ``repness-metric`` of the finalised statement: repness * its z * p * its z."""
        if self.rat[g, i] > self.rdt[g, i]:
            return float(self.ra[g, i] * self.rat[g, i] * self.pa[g, i] * self.pat[g, i])
        return float(self.rd[g, i] * self.rdt[g, i] * self.pd[g, i] * self.pdt[g, i])

    def finalised(self, g: int, i: int, statement_id: int, direction: Direction | None = None) -> Distinctive:
        """repness.clj ``finalize-cmt-stats``: agree or disagree, whichever two-proportion z is higher, unless
        ``direction`` is given (a group's best agreed statement is shown as agreed: Pol.is adds its agree count
        to it for the client to do the same); ``significant`` for that direction."""
        agree = direction == "agree" if direction else bool(self.rat[g, i] > self.rdt[g, i])
        n, p, pt, r, rt = ((self.na, self.pa, self.pat, self.ra, self.rat) if agree
                           else (self.nd, self.pd, self.pdt, self.rd, self.rdt))
        return Distinctive(statement_id, "agree" if agree else "disagree", int(n[g, i]), int(self.ns[g, i]),
                           num(p[g, i]), num(pt[g, i]), num(r[g, i]), num(rt[g, i]),
                           bool(pt[g, i] > Z_90 and rt[g, i] > Z_90))

    def passes(self, g: int, i: int) -> bool:
        """repness.clj ``passes-by-test?``: significant both in the group and against the rest, one direction."""
        return bool((self.rat[g, i] > Z_90 and self.pat[g, i] > Z_90)
                    or (self.rdt[g, i] > Z_90 and self.pdt[g, i] > Z_90))


def distinctive(stats: GroupStats, g: int, statement_ids: list[int]) -> tuple[Distinctive, ...]:
    """repness.clj ``select-rep-comments`` for group g: the significant statements by ra * rat * pa * pat
    (``repness-metric``), the best agreed one (``beats-best-agr?``) first, at most 5, agreements before
    disagreements; with none significant, the best agreed one, else the best by z (``beats-best-by-test?``)."""
    sufficient: list[int] = []
    best: int | None = None
    best_agree: int | None = None
    for i in range(len(statement_ids)):
        if stats.passes(g, i):
            sufficient.append(i)
        if not sufficient and (best is None or stats.best_z(g, i) > stats.best_z(g, best)):
            best = i
        if _beats_best_agree(stats, g, i, best_agree):
            best_agree = i
    head = ([stats.finalised(g, best_agree, statement_ids[best_agree], "agree")] if best_agree is not None
            else [stats.finalised(g, best, statement_ids[best])] if best is not None and not sufficient else [])
    ranked = sorted((i for i in sufficient if i not in (best_agree,)), key=lambda i: -stats.metric(g, i))
    chosen = (head + [stats.finalised(g, i, statement_ids[i]) for i in ranked])[:MAX_DISTINCTIVE]
    return tuple(sorted(chosen, key=lambda d: d.direction != "agree"))  # stable: agreements first, order kept


def _beats_best_agree(stats: GroupStats, g: int, i: int, best: int | None) -> bool:
    """repness.clj ``beats-best-agr?``: is statement i a better "what this group agrees on" than the best so far."""
    if stats.na[g, i] == 0 and stats.nd[g, i] == 0:
        return False  # nobody in the group voted for or against it
    ra, rat, pa, pat = stats.ra[g, i], stats.rat[g, i], stats.pa[g, i], stats.pat[g, i]
    if best is not None and stats.ra[g, best] > 1.0:
        return bool(ra * rat * pa * pat
                    > stats.ra[g, best] * stats.rat[g, best] * stats.pa[g, best] * stats.pat[g, best])
    if best is not None:
        return bool(pa * pat > stats.pa[g, best] * stats.pat[g, best])
    return bool(pat > Z_90 or (ra > 1.0 and pa > 0.5))


def consensus(stats: GroupStats, statement_ids: list[int]) -> tuple[Consensus, ...]:
    """Statements with p > 0.5 and z > 1.2816 in every group (repness.clj ``select-consensus-comments``' test,
    per group), by the product of the groups' p (conversation.clj ``group-aware-consensus``), highest first."""
    found: list[Consensus] = []
    directions: tuple[tuple[Direction, NDArray, NDArray], ...] = (("agree", stats.pa, stats.pat),
                                                                  ("disagree", stats.pd, stats.pdt))
    for direction, p, pt in directions:
        everywhere = np.all((p > 0.5) & (pt > Z_90), axis=0)
        score = np.prod(p, axis=0)
        found += [Consensus(statement_ids[i], direction, num(score[i]), stats.votes(int(i)))
                  for i in np.flatnonzero(everywhere)]
    return tuple(sorted(found, key=lambda c: (c.direction != "agree", -c.score, c.statement_id)))


def divisive(stats: GroupStats, statement_ids: list[int]) -> tuple[Divisive, ...]:
    """Statements some group significantly agrees with and another significantly rejects, by the spread of the
    groups' net agreement pa - pd (largest first)."""
    agreed = np.any((stats.pa > 0.5) & (stats.pat > Z_90), axis=0)
    rejected = np.any((stats.pd > 0.5) & (stats.pdt > Z_90), axis=0)
    net = stats.pa - stats.pd
    spread = net.max(axis=0) - net.min(axis=0)
    found = [Divisive(statement_ids[i], num(spread[i]), stats.votes(int(i)))
             for i in np.flatnonzero(agreed & rejected)]
    return tuple(sorted(found, key=lambda d: (-d.spread, d.statement_id)))
