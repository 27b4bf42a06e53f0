"""The opinion map of a round (bot/domain/opinion_map.py): Pol.is's analysis as a pure function of the votes.

Rounds with known answers come from bench/opinion_synth.py: planted opinion groups, planted consensus
statements, passes and noise. The numbers in the small hand-made rounds are Pol.is's formulas worked by hand
(compdemocracy/polis, math/src/polismath/math/stats.clj and repness.clj).
"""
from __future__ import annotations

import dataclasses
import json
import math
import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score

from bot.domain.opinion_map import OpinionMap, analyse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from opinion_synth import PlantedRound, planted_round  # noqa: E402


@pytest.fixture(scope="module")
def planted() -> PlantedRound:
    return planted_round(participants=400, groups=3, statements=30, consensus=4, seed=7)


@pytest.fixture(scope="module")
def mapped(planted: PlantedRound) -> OpinionMap:
    return analyse(planted.votes, planted.statement_ids)


def planted_group_of(found: int, result: OpinionMap, planted: PlantedRound) -> int:
    """The planted group most of a found group's members come from."""
    members = [planted.group_of[p.key] for p in result.participants if p.group == found]
    return max(set(members), key=members.count)


def two_camps(per_camp: int = 10) -> list[tuple[str, int, int]]:
    """Two camps of identical voters: camp A agrees with 1-4 and rejects 5-8, camp B the opposite; everyone
    agrees with 9."""
    votes = []
    for camp, sign in (("a", 1), ("b", -1)):
        for n in range(per_camp):
            votes += [(f"{camp}{n}", s, sign) for s in range(1, 5)]
            votes += [(f"{camp}{n}", s, -sign) for s in range(5, 9)]
            votes.append((f"{camp}{n}", 9, 1))
    return votes


def test_the_planted_opinion_groups_are_recovered(planted, mapped):
    assert mapped.ready and len(mapped.groups) == 3
    truth = [planted.group_of[p.key] for p in mapped.participants]
    assert adjusted_rand_score(truth, [p.group for p in mapped.participants]) >= 0.9
    assert [g.size for g in mapped.groups] == sorted((g.size for g in mapped.groups), reverse=True)  # 0 largest
    assert sum(g.size for g in mapped.groups) == mapped.counted == len(mapped.participants)


def test_the_statements_every_group_agrees_with_are_the_consensus(planted, mapped):
    assert {c.statement_id for c in mapped.consensus} == planted.consensus_ids
    for statement in mapped.consensus:
        assert statement.direction == "agree"
        assert [v.group for v in statement.groups] == [0, 1, 2]
        assert all(v.agree_ratio > 0.5 and v.seen == v.agree + v.disagree + v.passed for v in statement.groups)
    scores = [c.score for c in mapped.consensus]
    assert scores == sorted(scores, reverse=True)


def test_each_group_is_set_apart_by_what_it_thinks_and_the_others_do_not(planted, mapped):
    for group in mapped.groups:
        stance = planted.stances[planted_group_of(group.id, mapped, planted)]
        significant = [d for d in group.distinctive if d.significant]
        assert 1 <= len(group.distinctive) <= 5 and significant
        for d in significant:
            own = stance[d.statement_id - 1]
            assert own == (1 if d.direction == "agree" else -1)  # the group's own planted stance
            others = {s[d.statement_id - 1] for s in planted.stances if s is not stance}
            assert -own in others  # and somebody else thinks otherwise
            assert d.repness > 1 and d.repness_z > 1.2816 and d.probability > 0.5
        directions = [d.direction for d in group.distinctive]
        assert directions == sorted(directions)  # agreements listed before disagreements


def test_divisive_statements_split_the_groups_and_consensus_never_does(planted, mapped):
    assert mapped.divisive
    for statement in mapped.divisive:
        planted_stances = {s[statement.statement_id - 1] for s in planted.stances}
        assert planted_stances == {1, -1}
        ratios = [v.agree_ratio for v in statement.groups]
        assert max(ratios) > 0.5 and min(ratios) < 0.5
    assert not {d.statement_id for d in mapped.divisive} & planted.consensus_ids
    spreads = [d.spread for d in mapped.divisive]
    assert spreads == sorted(spreads, reverse=True)


def test_representativeness_is_pol_is_formula_worked_by_hand():
    result = analyse(two_camps(), range(1, 10))
    assert result.ready and [g.size for g in result.groups] == [10, 10]
    camp = next(g for g in result.groups if g.center == result.groups[0].center)
    first = camp.distinctive[0]
    # All 10 in the camp agree, none of the other 10: p = (10 + 1) / (10 + 2); its z = 2 * sqrt(11) * (11/11 - 0.5)
    # (stats.clj prop-test); repness = p / ((0 + 1) / (10 + 2)) = 11; the two-proportion z with every count + 1.
    pooled = (11 + 1) / (11 + 11)
    two_prop = (11 / 11 - 1 / 11) / math.sqrt(pooled * (1 - pooled) * (1 / 11 + 1 / 11))
    assert (first.count, first.seen, first.significant) == (10, 10, True)
    assert first.probability == pytest.approx(11 / 12, abs=1e-4)
    assert first.probability_z == pytest.approx(math.sqrt(11), abs=1e-4)
    assert first.repness == pytest.approx(11, abs=1e-4)
    assert first.repness_z == pytest.approx(two_prop, abs=1e-4)
    # Statement 9, agreed by all, is the consensus; statements 1-8 each split the camps.
    assert [(c.statement_id, c.direction) for c in result.consensus] == [(9, "agree")]
    assert [v.agree_ratio for v in result.consensus[0].groups] == [1.0, 1.0]
    assert sorted(d.statement_id for d in result.divisive) == list(range(1, 9))


def test_camps_that_differ_on_one_statement_are_set_apart_by_that_statement_alone():
    votes = [(f"{camp}{n}", s, sign if s == 1 else 1) for camp, sign in (("a", 1), ("b", -1))
             for n in range(10) for s in range(1, 9)]  # everyone agrees with 2-8
    result = analyse(votes, range(1, 9))
    shown = sorted([(d.statement_id, d.direction, d.significant) for d in g.distinctive] for g in result.groups)
    # The camp that rejects 1 still shows first what it agrees with, as Pol.is does ("best agree"), flagged
    # as not significant: everyone agrees with it, so it does not set the camp apart.
    assert shown[0] == [(1, "agree", True)]
    assert shown[1][0][1:] == ("agree", False) and shown[1][1] == (1, "disagree", True) and len(shown[1]) == 2


def test_a_statement_every_group_rejects_is_a_consensus_against():
    votes = two_camps() + [(f"{camp}{n}", 10, -1) for camp in "ab" for n in range(10)]
    result = analyse(votes, range(1, 11))
    assert [(c.statement_id, c.direction) for c in result.consensus] == [(9, "agree"), (10, "disagree")]


def test_people_who_saw_few_statements_are_not_pulled_into_the_centre():
    votes = [(f"{camp}{n}", s, sign if s % 2 else -sign) for camp, sign in (("a", 1), ("b", -1)) for n in range(10)
             for s in (range(1, 29) if n < 5 else range(1, 8))]  # half of each camp saw 7 statements of 28
    distance = {p.key: math.hypot(p.x, p.y) for p in analyse(votes, range(1, 29)).participants}
    # Each projected from their own votes only, scaled by sqrt(28 / 7) (pca.clj sparsity-aware-project-ptpt)
    assert distance["a9"] == pytest.approx(distance["a0"], rel=0.01)
    assert distance["b9"] == pytest.approx(distance["b0"], rel=0.01)


def test_a_statement_everybody_agrees_with_adds_no_direction_to_the_map_whoever_saw_it():
    votes = [(f"{camp}{n}", s, sign if s <= 4 else -sign) for camp, sign in (("a", 1), ("b", -1)) for n in range(10)
             for s in range(1, 9)]
    votes += [(f"{camp}{n}", 9, 1) for camp in "ab" for n in range(1, 10, 2)]  # half of each camp saw 9, agreed
    result = analyse(votes, range(1, 10))
    # A missing vote counts as the statement's average (here: agree) when the map's axes are found, so not
    # having seen 9 is no difference of opinion (counted as a pass, it would add a second axis).
    assert {p.y for p in result.participants} == {0.0}


def test_participants_with_fewer_than_seven_votes_are_not_placed(planted):
    votes = list(planted.votes) + [("six", s, 1) for s in range(1, 7)] + [("seven", s, 1) for s in range(1, 8)]
    result = analyse(votes, planted.statement_ids)
    placed = {p.key for p in result.participants}
    assert "seven" in placed and "six" not in placed
    assert result.min_votes == 7 and all(p.votes >= 7 for p in result.participants)
    few = {key for key in planted.group_of if sum(1 for k, _, _ in planted.votes if k == key) < 7}
    assert few and not few & placed  # the synthetic drive-by voters
    assert result.voters == len(planted.group_of) + 2 and result.counted == len(placed)


def test_the_threshold_is_configurable():
    votes = two_camps()  # 9 votes each, in a round of 12 statements
    assert analyse(votes, range(1, 13), min_votes=10).reason == "too_few_participants"
    assert analyse(votes, range(1, 13), min_votes=9).ready


def test_a_round_with_fewer_than_seven_statements_places_those_who_voted_on_all_of_them():
    votes = [(k, s, v) for k, s, v in two_camps() if s <= 5]  # as in Pol.is: min(7, statements)
    result = analyse(votes, range(1, 6))
    assert result.ready and result.min_votes == 5 and result.counted == 20


@pytest.mark.parametrize("votes, statements, reason", [
    ([], range(1, 10), "no_votes"),
    ([("a", 1, 1), ("b", 1, -1), ("c", 1, 1)], [1], "too_few_statements"),
    ([(k, s, v) for k, s, v in two_camps() if k in ("a0", "b0")], range(1, 10), "too_few_participants"),
    ([(f"p{n}", s, 0) for n in range(30) for s in range(1, 10)], range(1, 10), "no_differences"),  # all pass
    ([(f"p{n}", s, 1 if s % 2 else -1) for n in range(30) for s in range(1, 10)], range(1, 10), "no_differences"),
    ([("a", 99, 1)], range(1, 10), "no_votes"),  # a vote on a statement of another round
], ids=["nobody yet", "one statement", "two people", "all passes", "identical voters", "unknown statement"])
def test_a_round_that_cannot_be_mapped_yet_says_why_instead_of_failing(votes, statements, reason):
    result = analyse(votes, statements)
    assert (result.status, result.reason, result.ready) == ("not_enough_votes", reason, False)
    assert result.participants == result.groups == result.consensus == result.divisive == ()
    assert json.loads(json.dumps(result.to_dict()))["reason"] == reason


def test_statements_taken_out_of_the_round_are_never_reported_but_their_votes_still_count(planted):
    removed = set(sorted(planted.consensus_ids)[:2])
    result = analyse(planted.votes, planted.statement_ids, in_round=set(planted.statement_ids) - removed)
    reported = ({c.statement_id for c in result.consensus} | {d.statement_id for d in result.divisive}
                | {d.statement_id for g in result.groups for d in g.distinctive})
    assert result.ready and not reported & removed
    assert result.counted == analyse(planted.votes, planted.statement_ids).counted
    assert analyse(planted.votes, planted.statement_ids, in_round=[1]).reason == "too_few_statements"


def test_the_same_votes_always_give_the_same_map_whatever_their_order(planted, mapped):
    assert analyse(planted.votes, planted.statement_ids) == mapped
    shuffled = list(planted.votes)
    random.Random(3).shuffle(shuffled)  # each (participant, statement) is voted once here, so order is free
    assert analyse(shuffled, reversed(planted.statement_ids)).to_dict() == mapped.to_dict()


def test_a_changed_vote_counts_its_last_answer():
    votes = two_camps()
    turncoat = [("a0", s, -v) for k, s, v in votes if k == "a0" and s != 9]  # a0 answers again, the other way
    result = analyse(votes + turncoat, range(1, 10))
    group = {p.key: p.group for p in result.participants}
    assert group["a0"] == group["b0"] != group["a1"]


def test_the_result_is_frozen_and_json_ready(mapped):
    with pytest.raises(dataclasses.FrozenInstanceError):
        mapped.status = "changed"  # type: ignore[misc]
    data = json.loads(json.dumps(mapped.to_dict()))
    assert data["status"] == "ready" and len(data["participants"]) == mapped.counted
    assert set(data["participants"][0]) == {"key", "x", "y", "group", "votes"}
    assert set(data["consensus"][0]["groups"][0]) == {"group", "agree", "disagree", "passed", "seen", "agree_ratio"}


def test_a_vote_that_is_not_agree_disagree_or_pass_is_a_programming_error():
    with pytest.raises(ValueError, match="vote must be"):
        analyse([("a", 1, 2)], [1])


@settings(max_examples=60, deadline=None)
@given(votes=st.lists(st.tuples(st.sampled_from("abcdefghijklmnop"), st.integers(1, 9), st.sampled_from((1, -1, 0))),
                      max_size=120),
       removed=st.sets(st.integers(1, 9), max_size=3))
def test_whatever_the_votes_the_map_is_a_result_never_an_exception(votes, removed):
    result = analyse(votes, range(1, 9), in_round=set(range(1, 9)) - removed)  # 9 is not in this round
    assert json.loads(json.dumps(result.to_dict()))["status"] == result.status
    if result.ready:
        assert [g.id for g in result.groups] == list(range(len(result.groups))) and len(result.groups) >= 2
        assert sum(g.size for g in result.groups) == result.counted == len(result.participants)
        assert all(p.votes >= result.min_votes for p in result.participants)
        reported = ({c.statement_id for c in result.consensus} | {d.statement_id for d in result.divisive}
                    | {d.statement_id for g in result.groups for d in g.distinctive})
        assert not reported & (removed | {9})
