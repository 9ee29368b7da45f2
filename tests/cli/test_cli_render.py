"""``qingliu tail`` / ``dev --demo`` say what happened to each post."""

from __future__ import annotations

import io

import orjson
import pytest
from rich.console import Console

from service.cli import _mismatch_summary, outcome_label, render_event
from service.pipeline import process_message


def _rendered(event: dict) -> str:
    out = io.StringIO()
    render_event(orjson.dumps(event), Console(file=out, width=200, color_system=None))
    return out.getvalue()


def _event(text: str) -> dict:
    outcome = process_message(orjson.dumps({"id": "p", "text": text}))
    assert outcome.kind == "clean"
    return outcome.value


@pytest.mark.parametrize(
    ("text", "mark", "words"),
    [
        ("加\u200b微信ｖｘ８８８", "✓", "repaired"),
        ("锟斤拷锟斤拷的价格", "✗", "unrecoverable"),
        ("今天\ufffd天气不错", "✗", "unrecoverable"),
        ("今天天气不错，我们去公园散步。", "·", "no corruption detected"),
    ],
)
def test_each_outcome_is_named(text: str, mark: str, words: str) -> None:
    event = _event(text)
    assert outcome_label(event)[:1] == (mark,)
    assert words in outcome_label(event)[1]
    first = _rendered(event).splitlines()[0]
    assert first.startswith(f"{mark} p ") and words in first


def test_detected_but_not_repaired_is_not_called_clean() -> None:
    event = _event("今天天气不错")
    event["corruption"] = {"detected": True, "score": 0.4, "kinds": ["spun"]}
    first = _rendered(event).splitlines()[0]
    assert first.startswith("· p ") and "spun detected, not repaired" in first
    assert "clean" not in first


def test_a_dead_letter_is_marked() -> None:
    outcome = process_message(b"{not json")
    assert _rendered(outcome.value).startswith("✗ dead letter not_json")


@pytest.mark.parametrize(
    ("label", "text", "mark", "words"),
    [
        ("spun", "今天天气不错，我们去公园散步。", "✗",
         "left unrepaired: labelled spun, no corruption detected"),
        ("mojibake", "加\u200b微信ｖｘ８８８", "✓", "repaired"),
        ("clean", "加\u200b微信ｖｘ８８８", "✗", "changed although labelled clean"),
        ("clean", "今天天气不错，我们去公园散步。", "·", "unchanged: no corruption detected"),
        ("obfuscated", "锟斤拷锟斤拷的价格", "✗", "unrecoverable"),
    ],
)
def test_a_labelled_sample_is_held_to_its_label(label: str, text: str, mark: str,
                                                words: str) -> None:
    event = _event(text)
    event["meta"] = {"sample": label}
    first = _rendered(event).splitlines()[0]
    assert first.startswith(f"{mark} p ") and words in first


def test_a_sample_detected_but_not_repaired_is_left_unrepaired() -> None:
    event = _event("今天天气不错")
    event["corruption"] = {"detected": True, "score": 0.4, "kinds": ["spun"]}
    event["meta"] = {"sample": "spun"}
    assert outcome_label(event)[1] == "left unrepaired: labelled spun, spun detected, not repaired"


def test_the_demo_summary_counts_the_samples_that_contradict_their_labels() -> None:
    assert _mismatch_summary([]) == ""
    assert _mismatch_summary(["left unrepaired: labelled spun, no corruption detected"] * 2) == (
        "; 2 labelled samples left unrepaired"
    )
    assert _mismatch_summary(["changed although labelled clean (spun)"]) == (
        "; 1 sample labelled clean changed"
    )
