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

from .opinion_groups import (ROUND, Consensus, Distinctive, Divisive, GroupStats, GroupVotes, consensus, distinctive,
                             divisive, num)

# scikit-learn is imported where the analysis runs, not here: importing it costs a process about 1.1 s and
# 120 MB (bench/opinions.py), and web workers that only need these types should not pay for it.

Vote = tuple[str, int, int]
"""(participant key, statement id, vote): vote is +1 agree, -1 disagree, 0 pass."""

NotEnough = Literal["no_votes", "too_few_statements", "too_few_participants", "no_differences"]

MIN_VOTES = 7  # conversation.clj in-conv: "rated ... at least 7 if there are more than 7"
MAX_GROUPS = 5  # conversation.clj opts :max-k 5
SILHOUETTE_SAMPLE = 3000  # above this many people the silhouette is computed on a fixed-seed sample
SEED = 0
K_MEANS_RUNS = 10  # k-means restarts from different seeded starts; the best (lowest inertia) is kept


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
class Group:
    """An opinion group: ``id`` 0.. by size (largest first), ``center`` the mean of its members' points."""

    id: int
    size: int
    center: tuple[float, float]
    distinctive: tuple[Distinctive, ...]


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
    stats = GroupStats.of(members, labels)
    counted_keys = [key for key, keep in zip(keys, counted) if keep]
    counted_votes = vote_counts[counted]
    return OpinionMap(
        status="ready", reason=None, voters=len(keys), counted=n_counted, min_votes=threshold,
        silhouette=round(silhouette, ROUND),
        participants=tuple(PlacedParticipant(key, num(x), num(y), int(g), int(n))
                           for key, (x, y), g, n in zip(counted_keys, points, labels, counted_votes)),
        groups=tuple(Group(g, int(np.sum(labels == g)), (num(cx), num(cy)), distinctive(stats, g, live_ids))
                     for g, (cx, cy) in enumerate(centers)),
        consensus=consensus(stats, live_ids),
        divisive=divisive(stats, live_ids),
    )


def _not_enough(reason: NotEnough, voters: int, counted: int, threshold: int) -> OpinionMap:
    return OpinionMap("not_enough_votes", reason, voters, counted, threshold, None, (), (), (), ())


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


__all__ = ["Consensus", "Distinctive", "Divisive", "Group", "GroupVotes", "OpinionMap", "PlacedParticipant",
           "Vote", "analyse", "MIN_VOTES", "MAX_GROUPS"]
