"""The opinion map of an opinion round: who stands where, in which groups, and what each group and all of
them think. A pure function of the votes (no database, no Flask), so the job queue, the console, the live
page and the tests all get the same answer from the same votes.

The method is Pol.is's, followed rule by rule from its own code (compdemocracy/polis, commit 08e03eb, files
under math/src/polismath/math/; the paper: Small, Bjorkegren, Erkkilä, Shaw and Megill, "Polis: Scaling
Deliberation by Mapping High Dimensional Opinion Spaces", Recerca, 2021,
https://www.e-revistes.uji.es/index.php/recerca/article/view/5516):

1. The vote matrix: one row per participant, one column per statement; agree +1, disagree -1, pass 0, not
   seen = missing. (Pol.is stores agree as -1; the sign of a whole matrix changes nothing below.)
2. Who is counted (conversation.clj, ``in-conv``): participants with at least ``min(min_votes, statements
   in the round)`` votes, passes included. Pol.is also admits the 15 most active voters while fewer than 15
   qualify; we do not: someone under the threshold is never placed.
3. Coordinates (conversation.clj ``:mat``, pca.clj): a missing vote is replaced by the statement's mean vote
   (the column average over everyone who voted on it) and PCA runs on that matrix, all voters included; then
   each participant is projected from the statements they actually voted on only, and the projection is scaled
   by sqrt(statements / statements voted on) (pca.clj ``sparsity-aware-project-ptpt``), so that people who
   saw few statements are not all pulled into the centre.
4. Groups (conversation.clj ``:group-clusterings``): k-means on the 2-D coordinates of the counted
   participants, k from 2 to min(5, 2 + counted // 12) (``max-k-fn``), the k with the best silhouette
   (clusters.clj ``silhouette``). Pol.is first folds people into 100 "base clusters" and smooths k over
   successive runs; this function clusters people directly (as red-dwarf does) and keeps no state, so k
   may change from one run to the next. Fixed seeds make it deterministic.
5. Distinctive statements of a group (repness.clj ``conv-repness``, ``select-rep-comments``): how much more
   the group agrees (or disagrees) than everyone else, with Pol.is's one-proportion and two-proportion z-tests
   (stats.clj ``prop-test``, ``two-prop-test``) at 90 % one-sided (z > 1.2816); at most 5 per group, the best
   agreed one first, agreements before disagreements; a group with none significant keeps its best one,
   flagged ``significant=False``. The best agreed statement is always shown as agreed (Pol.is's
   ``finalize-cmt-stats`` labels it "disagree" when neither direction stands out).
6. Consensus (repness.clj ``select-consensus-comments`` applied inside every group, ranked by
   conversation.clj ``group-aware-consensus``): a statement a significant majority of *every* group agrees
   with (or every group disagrees with).
7. Divisive: a statement a significant majority of one group agrees with and a significant majority of
   another disagrees with, ranked by how far apart the groups' net agreement is. (Pol.is's participation view
   calls the statements with the lowest group-aware consensus "divisive"; that also lists statements everyone
   rejects, hence this stricter rule.)

Everything the function returns is a frozen dataclass of plain numbers and strings (``OpinionMap.to_dict()``
is JSON-ready). A round that cannot be mapped yet (no votes, one statement, fewer than 3 counted
participants, everyone in the same place) gives ``status == "not_enough_votes"`` and a ``reason``, never an
exception.
"""
from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

# scikit-learn is imported where the analysis runs, not here: importing it costs a process about 1.1 s and
# 120 MB (bench/opinions.py), and web workers that only need these types should not pay for it.

Vote = tuple[str, int, int]
"""(participant key, statement id, vote): vote is +1 agree, -1 disagree, 0 pass."""

Direction = Literal["agree", "disagree"]
NotEnough = Literal["no_votes", "too_few_statements", "too_few_participants", "no_differences"]

MIN_VOTES = 7  # conversation.clj in-conv: "rated ... at least 7 if there are more than 7"
MAX_GROUPS = 5  # conversation.clj opts :max-k 5
MAX_DISTINCTIVE = 5  # repness.clj select-rep-comments: (take 5)
Z_90 = 1.2816  # stats.clj z-sig-90?: 90 % confidence, one-sided
SILHOUETTE_SAMPLE = 3000  # above this many people the silhouette is computed on a fixed-seed sample
SEED = 0
K_MEANS_RUNS = 10  # k-means restarts from different seeded starts; the best (lowest inertia) is kept
ROUND = 4  # decimals kept in the result: enough to draw and compare, small JSON


@dataclass(frozen=True)
class PlacedParticipant:
    """A counted participant on the map: ``x``, ``y`` in the plane of the first two principal components,
    ``group`` an index into ``OpinionMap.groups``, ``votes`` how many statements they voted on (passes too)."""

    key: str
    x: float
    y: float
    group: int
    votes: int


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
        return cls(group, agree, disagree, seen - agree - disagree, seen, _num(agree / seen) if seen else 0.0)


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
class Group:
    """An opinion group: ``id`` 0.. by size (largest first), ``center`` the mean of its members' points."""

    id: int
    size: int
    center: tuple[float, float]
    distinctive: tuple[Distinctive, ...]


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


@dataclass(frozen=True)
class OpinionMap:
    """The analysis of one round. ``status`` "ready" with everything filled, or "not_enough_votes" with
    ``reason`` and empty ``participants``, ``groups``, ``consensus`` and ``divisive``. ``voters``: everyone with
    a vote on a statement of the round; ``counted``: those with at least ``min_votes`` votes (the threshold in
    force, which is lower than asked when the round has fewer statements)."""

    status: Literal["ready", "not_enough_votes"]
    reason: NotEnough | None
    voters: int
    counted: int
    min_votes: int
    silhouette: float | None
    participants: tuple[PlacedParticipant, ...]
    groups: tuple[Group, ...]
    consensus: tuple[Consensus, ...]
    divisive: tuple[Divisive, ...]

    @property
    def ready(self) -> bool:
        return self.status == "ready"

    def to_dict(self) -> dict:
        """A dict of plain ints, floats, strings and tuples: ``json.dumps`` writes it as is (tuples as lists)."""
        return dataclasses.asdict(self)


def analyse(votes: Iterable[Vote], statement_ids: Iterable[int], *, in_round: Iterable[int] | None = None,
            min_votes: int = MIN_VOTES, max_groups: int = MAX_GROUPS, seed: int = SEED) -> OpinionMap:
    """Map a round from its votes.

    ``votes``: (participant key, statement id, +1 / -1 / 0) in the order they were cast; a pair voted twice
    counts its last vote (a changed vote). Votes on statements not in ``statement_ids`` are ignored.
    ``statement_ids``: the round's statements. ``in_round``: those still in the round (default: all); votes
    on the others still count towards a participant's threshold, as in Pol.is, but place nobody and are never
    reported (Pol.is's moderated-out statements). The result does not depend on the order of participants.

    Raises ValueError for a vote other than +1, -1 or 0, or ``min_votes < 1`` / ``max_groups < 2``: those are
    programming errors, not states of a round.
    """
    if min_votes < 1 or max_groups < 2:
        raise ValueError("min_votes must be >= 1 and max_groups >= 2")
    statements = sorted(set(statement_ids))
    column = {sid: i for i, sid in enumerate(statements)}
    cast: dict[tuple[str, int], int] = {}
    for key, sid, vote in votes:
        if vote not in (1, 0, -1):
            raise ValueError(f"vote must be +1, -1 or 0, not {vote!r}")
        if sid in column:
            cast[(key, column[sid])] = int(vote)
    keys = sorted({key for key, _ in cast})
    threshold = min(min_votes, max(len(statements), 1))
    if not cast:
        return _not_enough("no_votes", 0, 0, threshold)

    row = {key: i for i, key in enumerate(keys)}
    matrix = np.full((len(keys), len(statements)), np.nan)
    pairs = np.array([(row[key], col) for key, col in cast], dtype=np.intp)
    matrix[pairs[:, 0], pairs[:, 1]] = np.fromiter(cast.values(), dtype=float, count=len(cast))
    vote_counts = np.sum(~np.isnan(matrix), axis=1)
    counted = vote_counts >= threshold

    live = set(statements if in_round is None else in_round)
    columns = np.array([sid in live for sid in statements]) & np.any(~np.isnan(matrix), axis=0)
    live_ids = [sid for sid, keep in zip(statements, columns) if keep]
    votes_live = matrix[:, columns]
    n_counted = int(counted.sum())
    if len(live_ids) < 2:
        return _not_enough("too_few_statements", len(keys), n_counted, threshold)
    if n_counted < 3:
        return _not_enough("too_few_participants", len(keys), n_counted, threshold)

    # One core: OpenMP's and BLAS's worker threads spin while they wait, and on 2 shared cores that made the
    # same analysis 10 to 30 times slower under load (the benchmark's round at load 4: 0.17 s on one thread, 2 to
    # 5 s on all).
    # It also leaves the other core to the webhook.
    with threadpool_limits(limits=1):
        points = _project(votes_live)[counted]
        labels, silhouette = _groups(points, max_groups, seed)
    members = votes_live[counted]
    if labels is None:
        return _not_enough("no_differences", len(keys), n_counted, threshold)

    labels, centers = _order_groups(points, labels)
    stats = _GroupStats.of(members, labels)
    counted_keys = [key for key, keep in zip(keys, counted) if keep]
    counted_votes = vote_counts[counted]
    return OpinionMap(
        status="ready", reason=None, voters=len(keys), counted=n_counted, min_votes=threshold,
        silhouette=round(silhouette, ROUND),
        participants=tuple(PlacedParticipant(key, _num(x), _num(y), int(g), int(n))
                           for key, (x, y), g, n in zip(counted_keys, points, labels, counted_votes)),
        groups=tuple(Group(g, int(np.sum(labels == g)), (_num(cx), _num(cy)), _distinctive(stats, g, live_ids))
                     for g, (cx, cy) in enumerate(centers)),
        consensus=_consensus(stats, live_ids),
        divisive=_divisive(stats, live_ids),
    )


def _not_enough(reason: NotEnough, voters: int, counted: int, threshold: int) -> OpinionMap:
    return OpinionMap("not_enough_votes", reason, voters, counted, threshold, None, (), (), (), ())


def _num(value: float) -> float:
    return round(float(value), ROUND) + 0.0  # + 0.0 turns -0.0 into 0.0


def _project(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """Pol.is's sparsity-aware PCA projection (pca.clj): (participants, statements) with NaN for not seen ->
    (participants, 2). PCA on the matrix with each missing vote replaced by its column's mean; each person
    projected from their own votes only, scaled by sqrt(statements / their votes)."""
    from sklearn.decomposition import PCA

    seen = ~np.isnan(matrix)
    means = np.nanmean(matrix, axis=0)
    filled = np.where(seen, matrix, means)
    if filled.shape[0] < 2 or np.allclose(filled.var(axis=0), 0.0):
        return np.zeros((matrix.shape[0], 2))  # everyone alike: no direction to project on
    pca = PCA(n_components=min(2, *filled.shape), svd_solver="full").fit(filled)
    components = np.zeros((2, matrix.shape[1]))
    components[: pca.n_components_] = pca.components_
    centred = np.where(seen, matrix - pca.mean_, 0.0)
    scale = np.sqrt(matrix.shape[1] / np.maximum(seen.sum(axis=1), 1))
    return (centred @ components.T) * scale[:, None]


def _groups(points: NDArray[np.float64], max_groups: int, seed: int) -> tuple[NDArray[np.intp] | None, float]:
    """k-means for k = 2 .. min(max_groups, 2 + n // 12, distinct points) (conversation.clj ``max-k-fn``),
    the k with the highest silhouette, the smaller k on a tie. (None, 0.0) when no two groups can be told apart."""
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import silhouette_score

    distinct = len(np.unique(points.round(9), axis=0))
    n = len(points)
    best: tuple[NDArray[np.intp] | None, float] = (None, 0.0)
    for k in range(2, min(max_groups, 2 + n // 12, distinct, n - 1) + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels = KMeans(n_clusters=k, n_init=K_MEANS_RUNS, random_state=seed).fit_predict(points)
        if len(np.unique(labels)) < 2:
            continue
        score = float(silhouette_score(points, labels, sample_size=SILHOUETTE_SAMPLE if n > SILHOUETTE_SAMPLE else None,
                                       random_state=seed))
        if best[0] is None or score > best[1]:
            best = (labels, score)
    return best


def _order_groups(points: NDArray[np.float64], labels: NDArray[np.intp]
                  ) -> tuple[NDArray[np.intp], list[tuple[float, float]]]:
    """Renumber groups 0.. by size, largest first (ties by centre), so ids do not depend on k-means' own."""
    found = np.unique(labels)
    centers = {g: tuple(points[labels == g].mean(axis=0)) for g in found}
    order = sorted(found, key=lambda g: (-int(np.sum(labels == g)), centers[g]))
    renumber = np.empty(found.max() + 1, dtype=np.intp)
    renumber[order] = np.arange(len(order))
    return renumber[labels], [centers[g] for g in order]


def _prop_test(successes: NDArray, trials: NDArray) -> NDArray:
    """stats.clj ``prop-test``: z of (successes + 1) / (trials + 1) against 0.5."""
    return 2 * np.sqrt(trials + 1) * ((successes + 1) / (trials + 1) - 0.5)


def _two_prop_test(succ_in: NDArray, succ_out: NDArray, pop_in: NDArray, pop_out: NDArray) -> NDArray:
    """stats.clj ``two-prop-test``: z of the in-group proportion against the out-group's, each count + 1;
    0 where the pooled proportion is 1."""
    s1, s2, n1, n2 = succ_in + 1, succ_out + 1, pop_in + 1, pop_out + 1
    pooled = (s1 + s2) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pooled >= 1, 0.0, (s1 / n1 - s2 / n2) / spread)


@dataclass(frozen=True)
class _GroupStats:
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
    def of(cls, votes: NDArray[np.float64], labels: NDArray[np.intp]) -> _GroupStats:
        membership = np.stack([labels == g for g in range(labels.max() + 1)]).astype(float)
        na, nd, ns = (membership @ (votes == 1), membership @ (votes == -1), membership @ ~np.isnan(votes))
        rest_na, rest_nd, rest_ns = na.sum(0) - na, nd.sum(0) - nd, ns.sum(0) - ns
        pa, pd = (na + 1) / (ns + 2), (nd + 1) / (ns + 2)
        return cls(na, nd, ns, pa, pd, _prop_test(na, ns), _prop_test(nd, ns),
                   pa / ((rest_na + 1) / (rest_ns + 2)), pd / ((rest_nd + 1) / (rest_ns + 2)),
                   _two_prop_test(na, rest_na, ns, rest_ns), _two_prop_test(nd, rest_nd, ns, rest_ns))

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
                           _num(p[g, i]), _num(pt[g, i]), _num(r[g, i]), _num(rt[g, i]),
                           bool(pt[g, i] > Z_90 and rt[g, i] > Z_90))

    def passes(self, g: int, i: int) -> bool:
        """repness.clj ``passes-by-test?``: significant both in the group and against the rest, one direction."""
        return bool((self.rat[g, i] > Z_90 and self.pat[g, i] > Z_90)
                    or (self.rdt[g, i] > Z_90 and self.pdt[g, i] > Z_90))


def _distinctive(stats: _GroupStats, g: int, statement_ids: list[int]) -> tuple[Distinctive, ...]:
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


def _beats_best_agree(stats: _GroupStats, g: int, i: int, best: int | None) -> bool:
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


def _consensus(stats: _GroupStats, statement_ids: list[int]) -> tuple[Consensus, ...]:
    """Statements with p > 0.5 and z > 1.2816 in every group (repness.clj ``select-consensus-comments``' test,
    per group), by the product of the groups' p (conversation.clj ``group-aware-consensus``), highest first."""
    found: list[Consensus] = []
    directions: tuple[tuple[Direction, NDArray, NDArray], ...] = (("agree", stats.pa, stats.pat),
                                                                  ("disagree", stats.pd, stats.pdt))
    for direction, p, pt in directions:
        everywhere = np.all((p > 0.5) & (pt > Z_90), axis=0)
        score = np.prod(p, axis=0)
        found += [Consensus(statement_ids[i], direction, _num(score[i]), stats.votes(int(i)))
                  for i in np.flatnonzero(everywhere)]
    return tuple(sorted(found, key=lambda c: (c.direction != "agree", -c.score, c.statement_id)))


def _divisive(stats: _GroupStats, statement_ids: list[int]) -> tuple[Divisive, ...]:
    """Statements some group significantly agrees with and another significantly rejects, by the spread of the
    groups' net agreement pa - pd (largest first)."""
    agreed = np.any((stats.pa > 0.5) & (stats.pat > Z_90), axis=0)
    rejected = np.any((stats.pd > 0.5) & (stats.pdt > Z_90), axis=0)
    net = stats.pa - stats.pd
    spread = net.max(axis=0) - net.min(axis=0)
    found = [Divisive(statement_ids[i], _num(spread[i]), stats.votes(int(i)))
             for i in np.flatnonzero(agreed & rejected)]
    return tuple(sorted(found, key=lambda d: (-d.spread, d.statement_id)))


__all__ = ["Consensus", "Distinctive", "Divisive", "Group", "GroupVotes", "OpinionMap", "PlacedParticipant",
           "Vote", "analyse", "MIN_VOTES", "MAX_GROUPS"]
