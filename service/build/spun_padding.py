"""Build ``service/data/spun/padding.json``: the learned judge of padded characters.

Run: ``python -m service.build.spun_padding`` (needs the ``build`` extra: numpy).  Nothing is
downloaded.  Training data are the *development* spinner sets only, the same as the swap judge's
(``service.build.spun_swapper``): blind rounds 1–17 under ``tests/data/blind/`` (CC0, written for
this project; their scores were read while tuning).  Later rounds are never read here: they
measure the result.

1. Each spun set of those rounds is replayed with the rounds' own build script, so every
   substitution is known; a substitution that adds one character to its original (上 → 上学,
   报名 → 报名单) marks that character as padded.  Where either of two characters could be the
   added one (the original's character doubled), the first is taken.
2. Every line is read by :func:`service.spun.padding.sites`, the function the service runs; a row
   is positive when its character is a padded one.
3. A logistic regression (L2, Newton steps: ``service.build.spun_swapper.fit``) is fitted on all
   rows, over the features and their pairwise products (``padding.expanded``).
   Leave-one-round-out figures (errors removed from the held-out round's lines when each line
   gets the deletions alone) are printed and stored.
4. ``tau`` is the one of ``TAUS`` with the best leave-one-round-out mean (rounded to 0.001; ties
   go to the larger).
5. ``rate_spun_soft`` and ``rate_clean_soft``: the soft count of padded characters (the summed
   probability of the sites at least ``SOFT_P`` likely) per character of the development spun
   lines of at least ``SWAP_MIN_LEN`` characters and of the swap judge's clean calibration text
   (the clean long paragraphs of rounds 1–17 and the paragraphs ``CLEAN_SLICE`` of
   ``heldout_clean.txt``): a line's soft count as Poisson evidence.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from service.build.spun_swapper import (
    DEV_ROUNDS,
    _build_blind,
    calibration_clean,
    fit,
    leave_one_round_out,
    replay,
)
from service.spun import lm, wordlm
from service.spun import padding as P
from service.spun.engine import SWAP_MIN_LEN
from service.spun.evaluate import distance

TAUS = (0.4, 0.5, 0.6, 0.7, 0.8)


def padded_positions(gold: dict[tuple[int, int], str], spun: str) -> set[int]:
    """Positions in ``spun`` of the characters its substitutions ``gold`` added to an original
    (a spun form one character longer that gives the original without that character)."""
    out = set()
    for (start, end), original in gold.items():
        form = spun[start:end]
        if len(form) != len(original) + 1:
            continue
        for k in range(len(form)):
            if form[:k] + form[k + 1 :] == original:
                out.add(start + k)
                break
    return out


def _payload(mean, scale, weights, bias, tau, rates=(1.0, 0.5)) -> dict:
    return {
        "schema": P.SCHEMA,
        "features": list(P.FEATURES),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "weights": [round(float(v), 6) for v in weights],
        "bias": round(float(bias), 6),
        "tau": tau,
        "rate_spun_soft": rates[0],
        "rate_clean_soft": rates[1],
    }


def removed(lines, rows_of, model: P.Model, tau: float) -> float:
    """Share of character errors removed when every line gets the deletions at ``tau``."""
    before = after = 0
    for (spun, orig, _, _), rows in zip(lines, rows_of, strict=True):
        likely = [(i, model.prob(x)) for i, x in rows]
        chosen = {i for i, _ in P.deletions(spun, likely, [False] * len(spun), tau)}
        out = "".join(ch for k, ch in enumerate(spun) if k not in chosen)
        before += distance(spun, orig)[0]
        after += distance(out, orig)[0]
    return (before - after) / max(before, 1)


def main(argv: list[str]) -> int:
    out_path = Path(argv[0]) if argv else P.MODEL_PATH
    score = lm.WindowScorer(lm.model())
    word_score = wordlm.scorer()
    blind = _build_blind()
    lines = [row for name in DEV_ROUNDS for row in replay(blind, name)]
    rows_of = [P.sites(spun, score, word_score) for spun, _, _, _ in lines]
    xs, ys, groups = [], [], []
    for (spun, _, gold, round_name), rows in zip(lines, rows_of, strict=True):
        padded = padded_positions(gold, spun)
        for i, x in rows:
            xs.append(P.expanded(x))
            ys.append(1.0 if i in padded else 0.0)
            groups.append(round_name)
    x, y, g = np.array(xs), np.array(ys), np.array(groups)
    print(f"{len(lines)} lines, {len(x)} rows, {int(y.sum())} positive")
    cv, tau, cv_mean = leave_one_round_out(
        x, y, g, lines, rows_of, lambda params: P.Model(_payload(*params, 0.5)), removed, TAUS
    )
    print(f"tau {tau} (leave-one-round-out mean {cv_mean:.3f})")
    params = fit(x, y)
    model = P.Model(_payload(*params, tau))
    clean = calibration_clean()
    long_spun = [spun for spun, _, _, _ in lines if len(spun) >= SWAP_MIN_LEN]
    rates = tuple(
        round(
            sum(P.soft_count(P.judged(text, model, score, word_score)) for text in texts)
            / sum(len(text) for text in texts),
            5,
        )
        for texts in (long_spun, clean)
    )
    print(f"soft count per 100 characters: spun {100 * rates[0]:.2f}, clean {100 * rates[1]:.2f}")
    payload = _payload(*params, tau, rates)
    payload["trained_on"] = [f"tests/data/blind/{name}" for name in DEV_ROUNDS]
    payload["leave_one_round_out"] = cv
    out_path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
