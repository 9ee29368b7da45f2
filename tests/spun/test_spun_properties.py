"""Invariants of the spun fixer on arbitrary input (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service import spun
from service.edits import apply_edits, validate_edits
from service.spun.lexicon import entries

# Text drawn from lexicon forms, common characters and anything else Unicode has.
_FORMS = sorted({e.spun for e in entries()} | {e.original for e in entries()})[:3000]
_PIECES = st.one_of(
    st.sampled_from(_FORMS),
    st.sampled_from(list("的了是在我有他这中大来上个国到说们为子和你地出道也时年，。、\n ")),
    st.text(max_size=3),
)
TEXTS = st.lists(_PIECES, max_size=60).map("".join)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(TEXTS)
def test_edits_apply_to_the_input_and_are_well_formed(text):
    result = spun.fix(text)
    validate_edits(text, result.edits)
    assert all(e.kind == "spun" and 0.0 <= e.confidence <= 1.0 for e in result.edits)
    assert 0.0 <= result.score <= 1.0
    assert result.kinds in ((), ("spun",))


@SETTINGS
@given(TEXTS)
def test_fix_is_idempotent(text):
    once = apply_edits(text, spun.fix(text).edits)
    twice = apply_edits(once, spun.fix(once).edits)
    assert twice == once


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_unicode_never_crashes(text):
    result = spun.fix(text)
    validate_edits(text, result.edits)
    spun.detect(text)


def test_detect_false_means_no_edits():
    for text in ("", "plain ascii", "😀😀", "\ud800"):
        assert not spun.detect(text)
        assert spun.fix(text).edits == []
