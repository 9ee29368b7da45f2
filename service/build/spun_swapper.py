"""Build ``service/data/spun/swapper.json``: the learned judge of table-free word swaps.

Run: ``python -m service.build.spun_swapper`` (needs the ``build`` extra: numpy).  Nothing is
downloaded.  Training data are the *development* spinner sets only: blind rounds 1–17 under
``tests/data/blind/`` (CC0, written for this project; their scores were read while tuning, so they
are no longer blind).  Later rounds are never read here: they measure the result.  (Trained on
rounds 1–8 alone, the judge removed 10.8% of the errors of round 18, which neither model saw;
trained on rounds 1–17, 14.6%.)

1. Each spun set of those rounds is replayed with the rounds' own build script
   (``tests/data/blind/build_blind.py``), so the position and original of every substitution in
   the spun text are known.
2. Every line is scored by :func:`service.spun.swapper.site_rows`, the function the service runs
   (the character 5-gram and the word 3-gram of ``service.spun.wordlm`` in context);
   a row is positive when the spinner turned exactly that original into exactly that span.
   Contraction sites are fitted from ``FIT_CONTRACT_MIN`` characters; the service (and the rates
   below) use them from ``CONTRACT_MIN``.  Runs the split broke (``swapper._split_site``) are
   left out of the fit; the service judges those with a part cut already with their logit
   lowered by ``SPLIT_LOGIT``.
3. A logistic regression (L2, Newton steps) is fitted on all rows.  Leave-one-round-out figures
   (errors removed on the held-out round's lines when every line is treated as spun) are printed
   and stored, so the model's reach on tables it never saw is on record.
4. ``tau`` (the probability a swap needs) is the one of ``TAUS`` with the best leave-one-round-out
   mean (rounded to 0.001; ties go to the larger);
   ``theta`` (the swap density that marks a line no table explains as spun) is set above every
   clean line of the calibration text, with ``THETA_MARGIN`` on top: the clean long paragraphs of
   rounds 1–17 and the paragraphs ``CLEAN_SLICE`` of those in ``heldout_clean.txt`` at least
   ``SWAP_MIN_LEN`` characters long (non-blank paragraphs 559–999; they are also part of the
   clean-text evaluation in ``tests/spun/test_spun_eval.py``, which is therefore partly in sample
   for ``theta``).  ``rate_spun`` and ``rate_clean`` (likely swaps per character in the
   development spun lines and in that clean text) turn a line's count of likely swaps into
   Poisson evidence; ``rate_spun_ctr`` and ``rate_clean_ctr`` do the same for likely
   contractions alone (with one pseudo-count in the clean text), ``rate_spun_soft`` and
   ``rate_clean_soft`` for the soft count (the summed probability of the swaps at least
   ``SOFT_P`` likely).
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path

import numpy as np

from service.spun import lm, wordlm
from service.spun import swapper as S
from service.spun.engine import SWAP_MIN_LEN
from service.spun.evaluate import distance

REPO = Path(__file__).resolve().parents[2]
BLIND = REPO / "tests" / "data" / "blind"
DEV_ROUNDS = tuple(f"round{k}" for k in range(1, 18))
HELDOUT = REPO / "service" / "data" / "spun" / "heldout_clean.txt"
CLEAN_SLICE = slice(400, 700)
TAUS = (0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
THETA_MARGIN = 0.5
THETA_FLOOR = 2.0
L2 = 1.0


def _build_blind():
    spec = importlib.util.spec_from_file_location("build_blind", BLIND / "build_blind.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def replay(blind, round_name: str) -> list[tuple[str, str, dict, str]]:
    """(spun line, original line, {(start, end): original} in spun offsets, round) per line."""
    rdir = BLIND / round_name
    tables = {p.stem: blind.load_table(p) for p in sorted((rdir / "tables").glob("*.tsv"))}
    out = []
    for name, kind, family, _register, text, rate, light in blind.ROUNDS[round_name]:
        if kind != "spun":
            continue
        table: dict[str, str] = {}
        for fam in family.split("+"):
            for key, value in tables[fam].items():
                table.setdefault(key, value)
        maxlen = max(map(len, table))
        for n, line in enumerate(blind.read_lines(rdir / "texts" / f"{text}.txt"), 1):
            rng = random.Random(f"{round_name}:{name}:{n}")
            occ = blind.matches(line, table, maxlen)
            if light:
                chosen = sorted(rng.sample(occ, min(len(occ), rng.choice((1, 2)))))
            else:
                chosen = [o for o in occ if rng.random() < rate]
                if len(chosen) < 3:
                    chosen = occ
            spun = blind.apply(line, table, chosen)
            gold, shift = {}, 0
            for start, key in chosen:
                value = table[key]
                gold[(start + shift, start + shift + len(value))] = key
                shift += len(value) - len(key)
            out.append((spun, line, gold, round_name))
    return out


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    mean = x.mean(0)
    scale = x.std(0) + 1e-9
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    ridge = L2 * np.eye(len(w))
    ridge[-1, -1] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        grad = z.T @ (p - y) + ridge @ w
        hess = (z * (p * (1 - p))[:, None]).T @ z + ridge
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-7:
            break
    return mean, scale, w[:-1], float(w[-1])


def _model(params, tau: float = 0.5, theta: float = 99.0) -> S.Model:
    mean, scale, weights, bias = params
    payload = _payload(mean, scale, weights, bias, tau, theta)
    payload.update(dict.fromkeys(S.RATES, 1.0), rate_clean=0.5, rate_clean_ctr=0.5,
                   rate_clean_soft=0.5)  # (unused)
    return S.Model(payload)


def _payload(mean, scale, weights, bias, tau, theta) -> dict:
    return {
        "schema": S.SCHEMA,
        "features": list(S.FEATURES),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "weights": [round(float(v), 6) for v in weights],
        "bias": round(float(bias), 6),
        "tau": tau,
        "theta": theta,
    }


def _rate(swap: S.Swapper, texts: list[str], kind: str = "swaps") -> float:
    """Likely swaps (p ≥ ``DENSITY_P``; ``kind`` "contractions": likely contractions; "soft":
    the soft count) per character of ``texts``."""
    if kind == "soft":
        return sum(swap.soft_count(text) for text in texts) / sum(len(text) for text in texts)
    contracted = kind == "contractions"
    count = sum(swap.count(text, contracted=contracted) for text in texts)
    if contracted:
        count += 1  # (one pseudo-count: with none in the clean text, one would be conclusive)
    return count / sum(len(text) for text in texts)


def removed(lines, rows_of, model: S.Model, tau: float) -> float:
    """Share of character errors removed when every line gets the judge's swaps at ``tau``."""
    before = after = 0
    for (spun, orig, _, _), rows in zip(lines, rows_of, strict=True):
        best: dict[tuple[int, int], tuple[float, str]] = {}
        for i, j, original, x, offset in rows:
            p = model.prob(x, offset)
            if p >= tau and p > best.get((i, j), (0.0, ""))[0]:
                best[(i, j)] = (p, original)
        taken = [False] * len(spun)
        chosen = []
        for (i, j), (_, original) in sorted(best.items(), key=lambda kv: -kv[1][0]):
            if not any(taken[i:j]):
                taken[i:j] = [True] * (j - i)
                chosen.append((i, j, original))
        out = spun
        for i, j, original in sorted(chosen, reverse=True):
            out = out[:i] + original + out[j:]
        before += distance(spun, orig)[0]
        after += distance(out, orig)[0]
    return (before - after) / max(before, 1)


def calibration_clean() -> list[str]:
    """The clean calibration text: the paragraphs ``CLEAN_SLICE`` of ``heldout_clean.txt`` at
    least ``SWAP_MIN_LEN`` characters long, and the clean long paragraphs of the development
    rounds."""
    long_clean = [p for p in HELDOUT.read_text("utf-8").splitlines() if len(p) >= SWAP_MIN_LEN]
    clean = long_clean[CLEAN_SLICE]
    for name in DEV_ROUNDS:
        clean += (BLIND / name / "texts" / "clean_long.txt").read_text("utf-8").splitlines()
    return clean


def leave_one_round_out(x, y, g, lines, rows_of, model_of, removed_by, taus):
    """(figures, tau, its mean): for each development round held out, the share of its errors
    removed at each of ``taus`` (``removed_by(lines, rows_of, model, tau)``) by the model
    ``model_of(params)`` fitted on the rows of the other rounds; the tau with the best mean
    (rounded to 0.001; ties go to the larger) and that mean."""
    cv = {}
    for held in DEV_ROUNDS:
        model = model_of(fit(x[g != held], y[g != held]))
        idx = [k for k, line in enumerate(lines) if line[3] == held]
        figures = {
            str(tau): round(
                removed_by([lines[k] for k in idx], [rows_of[k] for k in idx], model, tau), 4
            )
            for tau in taus
        }
        cv[held] = figures
        print(f"held out {held}: errors removed by tau {figures}")
    cv_mean = {tau: sum(cv[h][str(tau)] for h in DEV_ROUNDS) / len(DEV_ROUNDS) for tau in taus}
    tau = max(taus, key=lambda t: (round(cv_mean[t], 3), t))
    return cv, tau, cv_mean[tau]


def main(argv: list[str]) -> int:
    out_path = Path(argv[0]) if argv else S.MODEL_PATH
    score = lm.WindowScorer(lm.model())
    word_score = wordlm.scorer()
    blind = _build_blind()
    lines = [row for name in DEV_ROUNDS for row in replay(blind, name)]
    rows_of = [
        S.site_rows(spun, score, word_score, S.FIT_CONTRACT_MIN, broken=False)
        for spun, _, _, _ in lines
    ]
    xs, ys, groups = [], [], []
    for (_, _, gold, round_name), rows in zip(lines, rows_of, strict=True):
        for i, j, original, x, _ in rows:
            xs.append(x)
            ys.append(1.0 if gold.get((i, j)) == original else 0.0)
            groups.append(round_name)
    x, y, g = np.array(xs), np.array(ys), np.array(groups)
    print(f"{len(lines)} lines, {len(x)} rows, {int(y.sum())} positive")
    cv, tau, cv_mean = leave_one_round_out(x, y, g, lines, rows_of, _model, removed, TAUS)
    params = fit(x, y)
    model = _model(params)
    by_tau = {tau: removed(lines, rows_of, model, tau) for tau in TAUS}
    print(f"tau {tau} (leave-one-round-out mean {cv_mean:.3f}; in sample {by_tau[tau]:.3f})")
    swap = S.Swapper(score, _model(params, tau), word_score)
    clean = calibration_clean()
    densities = sorted(swap.density(p) for p in clean)
    theta = round(max(THETA_FLOOR, densities[-1] + THETA_MARGIN), 2)
    print(f"theta {theta} (clean calibration lines {len(clean)}, max density {densities[-1]:.2f})")
    long_spun = [spun for spun, _, _, _ in lines if len(spun) >= SWAP_MIN_LEN]
    rate_spun = round(_rate(swap, long_spun), 5)
    rate_clean = round(_rate(swap, clean), 5)
    print(
        f"likely swaps per 100 characters: spun {100 * rate_spun:.2f}, clean {100 * rate_clean:.2f}"
    )
    payload = _payload(*params, tau, theta)
    payload["rate_spun"] = rate_spun
    payload["rate_clean"] = rate_clean
    payload["rate_spun_ctr"] = round(_rate(swap, long_spun, "contractions"), 5)
    payload["rate_clean_ctr"] = round(_rate(swap, clean, "contractions"), 5)
    print(
        f"likely contractions per 100 characters: spun {100 * payload['rate_spun_ctr']:.3f}, "
        f"clean {100 * payload['rate_clean_ctr']:.3f}"
    )
    payload["rate_spun_soft"] = round(_rate(swap, long_spun, "soft"), 5)
    payload["rate_clean_soft"] = round(_rate(swap, clean, "soft"), 5)
    print(
        f"soft count per 100 characters: spun {100 * payload['rate_spun_soft']:.2f}, "
        f"clean {100 * payload['rate_clean_soft']:.2f}"
    )
    payload["trained_on"] = [f"tests/data/blind/{name}" for name in DEV_ROUNDS]
    payload["leave_one_round_out"] = cv
    out_path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
