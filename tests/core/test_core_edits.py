"""Edits: application, validation and the composition of two stages' edits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.edits import Edit, apply_edits, compose, edits_from_diff, validate_edits


def test_apply_edits_replaces_inserts_and_deletes() -> None:
    text = "abcdef"
    edits = [Edit(0, 1, "a", "A", "k"), Edit(2, 2, "", "+", "k"), Edit(4, 6, "ef", "", "k")]
    assert apply_edits(text, edits) == "Ab+cd"


def test_validate_rejects_mismatched_before() -> None:
    with pytest.raises(ValueError, match="does not match"):
        validate_edits("abc", [Edit(0, 1, "x", "y", "k")])


def test_validate_rejects_overlap() -> None:
    with pytest.raises(ValueError, match="out of order"):
        validate_edits("abc", [Edit(0, 2, "ab", "", "k"), Edit(1, 3, "bc", "", "k")])


def test_compose_merges_overlapping_stages_and_keeps_the_rest() -> None:
    original = "鍙戝睍年夜"
    first = [Edit(0, 3, "鍙戝睍", "发展", "mojibake", 0.99)]
    middle = apply_edits(original, first)
    assert middle == "发展年夜"
    second = [Edit(0, 2, "发展", "发展!", "spun", 0.5), Edit(2, 4, "年夜", "大", "spun", 0.9)]
    composed = compose(first, second, original)
    assert composed == [
        Edit(0, 3, "鍙戝睍", "发展!", "mojibake+spun", 0.5),
        Edit(3, 5, "年夜", "大", "spun", 0.9),
    ]
    assert apply_edits(original, composed) == "发展!大"


def test_compose_maps_offsets_past_a_deletion() -> None:
    original = "a\u200bb\u200b正正在"
    first = [Edit(1, 2, "\u200b", "", "invisible"), Edit(3, 4, "\u200b", "", "invisible")]
    middle = apply_edits(original, first)
    second = [Edit(2, 4, "正正", "正", "spun", 0.8)]
    assert middle[2:4] == "正正"
    composed = compose(first, second, original)
    validate_edits(original, composed)
    assert apply_edits(original, composed) == "ab正在"
    assert composed[-1] == Edit(4, 6, "正正", "正", "spun", 0.8)


@st.composite
def text_and_edits(draw: st.DrawFn, alphabet: str = "ab正在\u200b") -> tuple[str, list[Edit]]:
    text = draw(st.text(alphabet=alphabet, max_size=12))
    edits: list[Edit] = []
    position = 0
    while position <= len(text):
        if draw(st.booleans()):
            end = min(len(text), position + draw(st.integers(0, 3)))
            after = draw(st.text(alphabet="xy大", max_size=3))
            edits.append(
                Edit(position, end, text[position:end], after, draw(st.sampled_from("pq")))
            )
            position = end + 1
        else:
            position += 1
    return text, edits


@settings(max_examples=400)
@given(st.data())
def test_composed_edits_reconstruct_the_final_text(data: st.DataObject) -> None:
    original, first = data.draw(text_and_edits())
    middle = apply_edits(original, first)
    second = data.draw(_edits_for(middle))
    composed = compose(first, second, original)
    validate_edits(original, composed)
    assert apply_edits(original, composed) == apply_edits(middle, second)


def _edits_for(text: str) -> st.SearchStrategy[list[Edit]]:
    @st.composite
    def build(draw: st.DrawFn) -> list[Edit]:
        edits: list[Edit] = []
        position = 0
        while position <= len(text):
            if draw(st.booleans()):
                end = min(len(text), position + draw(st.integers(0, 3)))
                after = draw(st.text(alphabet="zw", max_size=3))
                edits.append(Edit(position, end, text[position:end], after, "s"))
                position = end + 1
            else:
                position += 1
        return edits

    return build()


@given(st.text(max_size=40), st.text(max_size=40))
def test_edits_from_diff_reconstructs(before: str, after: str) -> None:
    edits = edits_from_diff(before, after, "k")
    validate_edits(before, edits)
    assert apply_edits(before, edits) == after
