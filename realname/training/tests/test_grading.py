"""The grading rule over generated keys and answers (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from realname.training.services import grade

keys = st.dictionaries(
    st.integers(min_value=1, max_value=500),
    st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=4, unique=True).map(sorted),
    min_size=1,
    max_size=30,
)


@given(keys)
def test_the_key_itself_scores_100_and_no_answer_scores_0(key: dict[int, list[int]]) -> None:
    assert grade(key, key) == Decimal("100.0")
    assert grade(key, {}) == Decimal("0.0")


@given(keys, st.data())
def test_the_score_is_the_share_of_exactly_right_questions(
    key: dict[int, list[int]], data: st.DataObject
) -> None:
    answers = {qid: data.draw(st.lists(st.integers(min_value=0, max_value=4), max_size=5)) for qid in key}
    answers[10_000] = [0]  # a question the attempt did not draw never counts
    right = sum(1 for qid, value in key.items() if sorted(set(answers[qid])) == value)
    score = grade(key, answers)
    assert Decimal(0) <= score <= Decimal(100)
    assert abs(score - Decimal(100) * right / len(key)) <= Decimal("0.05")
    # Answer order and repeats do not matter.
    shuffled = {qid: list(reversed(value)) * 2 for qid, value in answers.items()}
    assert grade(key, shuffled) == score


@given(keys, st.sets(st.integers(min_value=1, max_value=500), min_size=1, max_size=10))
def test_a_question_without_a_key_is_never_right(key: dict[int, list[int]], lost: set[int]) -> None:
    """A drawn question whose key is missing (deleted before keys were stored) counts as wrong, whether
    it was left blank or answered: an empty answer must not "match" an empty key."""
    graded = {**key, **{qid: [] for qid in lost}}
    right = sum(1 for qid in key if qid not in lost)
    expected = Decimal(100) * right / len(graded)
    for answers in (
        {qid: ([] if qid in lost else value) for qid, value in graded.items()},
        {**key, **dict.fromkeys(lost, [0])},
    ):
        assert abs(grade(graded, answers) - expected) <= Decimal("0.05")
    assert grade(dict.fromkeys(lost, []), {}) == Decimal("0.0")
