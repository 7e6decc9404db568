"""The scored duplicate search on its labelled evaluation set (tests/registry/duplicate_evaluation.py):
a floor under precision and recall, so that a change of the rules that costs either fails here."""

from __future__ import annotations

import os

from tests.registry import duplicate_evaluation

# The target is recall ≥ 0.95 at precision ≥ 0.90; the floors leave a little room.
PRECISION_FLOOR = 0.90
RECALL_FLOOR = 0.95


def test_the_set_is_large_and_hard_enough():
    records = duplicate_evaluation.build()
    roles = {record.role.split(":")[0] for record in records}

    assert len(records) >= 300
    assert len(duplicate_evaluation.true_pairs(records)) >= 80
    assert {"base", "double", "lookalike"} <= roles
    assert duplicate_evaluation.build() == records  # a fixed seed: the same set every time


def test_the_search_finds_the_doubles_and_few_look_alikes(db):
    # EVALUATION_SEED=17 tries another set made the same way (the floor holds for the fixed one).
    seed = int(os.environ.get("EVALUATION_SEED", duplicate_evaluation.SEED))
    result = duplicate_evaluation.evaluate(duplicate_evaluation.build(seed))

    if os.environ.get("SHOW_EVALUATION"):
        for first, second in result.missed:
            print("MISSED", first.role, "|", first.name, "|", second.role, "|", second.name, first.postcode_only,
                  second.postcode_only, first.kvk == second.kvk != "", first.website, second.website)
        for first, second, score, why in result.wrong:
            print("WRONG", f"{score:.2f}", first.role, "|", first.name, "|", second.role, "|", second.name, "|", why)
        print(f"precision {result.precision:.3f} recall {result.recall:.3f} of {result.true_pairs} pairs, "
              f"{result.proposed} proposed")
    assert result.precision >= PRECISION_FLOOR, result.wrong
    assert result.recall >= RECALL_FLOOR, result.missed


def test_the_search_of_one_record_finds_what_the_whole_search_finds(db):
    """The two first steps differ (the whole search prepares every name once and leaves out pairs of
    neighbours without a shared identifier; the search of a few records filters on the raw names
    first): on the evaluation set they must still propose the same pairs with the same scores, so that
    a record saved alone gets the pairs the nightly search would give it."""
    from registry import duplicates
    from registry.models import DuplicateCandidate, Initiative

    duplicate_evaluation.load(duplicate_evaluation.build())
    duplicates.find_all()
    whole = {(first, second): round(score, 6)
             for first, second, score in DuplicateCandidate.objects.values_list("first_id", "second_id", "score")}

    one_by_one = {}
    for initiative in Initiative.objects.all():
        for match in duplicates.similar_to(initiative):
            one_by_one[tuple(sorted((initiative.pk, match.second_id)))] = round(match.score, 6)

    assert len(whole) >= 80
    assert one_by_one == whole
