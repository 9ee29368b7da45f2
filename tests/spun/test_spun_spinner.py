"""The synthetic spinner (used by the evaluations here and by the tagging robustness tests)."""

from __future__ import annotations

import pytest

from service.spun.spinner import spin

TEXT = "我们在发展经济的同时，通过配置个人电话服务，能够让观众看到大城市的方向。"


def test_spin_is_deterministic_and_changes_text():
    assert spin(TEXT, seed=3) == spin(TEXT, seed=3)
    assert spin(TEXT) != TEXT


def test_rate_zero_is_identity_and_rate_one_uses_the_table():
    assert spin(TEXT, rate=0.0) == TEXT
    spun = spin(TEXT)
    for form in ("正在", "开展", "年夜", "标的目的"):
        assert form in spun


def test_tech_variant():
    spun = spin(TEXT, variant="tech")
    for form in ("经由过程", "设置装备摆设", "小我私家", "德律风", "可以或许", "不雅众"):
        assert form in spun


def test_partial_rate_changes_less():
    text = TEXT * 20
    full = sum(a != b for a, b in zip(spin(text), text, strict=False))
    assert spin(text, rate=0.3, seed=1) != text
    assert len(spin(text, rate=0.3, seed=1)) < len(spin(text))
    assert full > 0


def test_unknown_variant_is_an_error():
    with pytest.raises(ValueError):
        spin(TEXT, variant="poetry")
