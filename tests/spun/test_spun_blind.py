"""Floors on the blind evaluation sets (tests/data/blind/round*/): aggregate figures only.

The sets are blind evaluation material: their texts are never read here, and a round is read only
for its figures until its first and final figures are recorded (the comments below say where a
text was read).  The floors sit a little below the figures measured when they were set, so that a
regression fails; the clean sets' floors are what the engine must not get worse at: no clean post
of any round is changed.

Rounds 1–17 are development data now: the table-free swap judge (``service/data/spun/swapper.json``)
is trained on them, so their figures are in-sample (it was trained on rounds 1–8 until round 19
arrived; trained on rounds 1–17 it removes more errors of the later rounds and fewer of rounds
1–3, whose figures therefore fell).  Round 18 was read only for its figures and decided that
change; rounds 19–35 were each the blind round until the next one arrived and are development data
now; round 36 is the blind round.  No build reads a round after round 17.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.spun.evaluate import evaluate_manifest

BLIND = Path(__file__).resolve().parents[1] / "data" / "blind"

# round → family → least share of character errors removed.  Comments: the figure measured when
# the floor was set (with the soft count of swaps as line evidence), "was" the figure at the
# previous floors (the swap judge with contractions and the word model, trained on rounds 1–8),
# then the figure before contractions and the word model (the judge trained on rounds 1–3), or a
# later round's first figure.  Families near 0.0 are the light mixes (no light post is detected)
# and kinds not modelled yet: homophones, antonym / negation swaps, marketing, sports, estate-agent
# and car-review terms.  "Before the lean-line band": before lines whose other evidence leans clean
# (log-odds -1.5 to 0) but whose characters the LM finds less fluent than ordinary prose got the
# table-free swap evidence too (``engine.SWAP_OWN_MIN``, ``SWAP_LEAN_LM``).
FLOORS = {
    "round1": {
        "spun:nianye_r1": 0.285,  # 0.2948 with the padding judge (0.309; 0.347 with the judge trained on rounds 1-8; was 0.339; before 0.295)
        "spun:thesaurus_r1": 0.095,  # 0.111 (0.161 with the judge trained on rounds 1-8; was 0.141; before 0.115)
        "spun:synonym_r1": 0.085,  # 0.098 (0.141 with the judge trained on rounds 1-8; 0.134 before the lean-line band; was 0.125; before 0.098)
        "spun:nianye_r1+thesaurus_r1": 0.28,  # 0.293 (0.347 with the judge trained on rounds 1-8; was 0.311; before 0.244)
        "spun:nianye_r1+synonym_r1": 0.0,  # 0.000 (before 0.0)
    },
    "round2": {
        "spun:charswap_r2": 0.2,  # 0.214 (0.274 with the judge trained on rounds 1-8; was 0.266; before 0.198)
        "spun:roundtrip_r2": 0.045,  # 0.0495 (0.054 before the evidence of real-word forms was capped; 0.064 earlier; 0.083 with the judge trained on rounds 1-8; 0.075 before the lean-line band; before 0.060)
        "spun:homophone_r2": 0.0,  # 0.000 (before 0.0)
        "spun:charswap_r2+roundtrip_r2": 0.14,  # 0.142 with the second padding round (0.146 with the padding judge; 0.161 before it; 0.234 with the judge trained on rounds 1-8; was 0.204; before 0.164)
        "spun:charswap_r2+homophone_r2": 0.0,  # 0.000 (before 0.0)
    },
    # Round 3: first measured 0.016 of errors removed, AUROC 0.46 (the engine before non-word
    # fragments and the other-table reading).
    "round3": {
        "spun:flipchar_r3": 0.165,  # 0.181 (0.211 with the judge trained on rounds 1-8; 0.206 before the lean-line band; was 0.194; before 0.143)
        "spun:backtrans_r3": 0.01,  # 0.017 (0.031 with the judge trained on rounds 1-8; 0.014 before the lean-line band; was 0.010; before 0.024)
        # (0.060 with the fragment evidence capped at 8 rather than 2)
        "spun:classical_r3": 0.015,  # 0.030 (0.054 with the judge trained on rounds 1-8; 0.044 before the lean-line band; was 0.052; before 0.058)
        "spun:flipchar_r3+backtrans_r3": 0.025,  # 0.038 (0.093 with the judge trained on rounds 1-8; 0.076 before the lean-line band; 0.060 before three-character contraction sites; was 0.005; before 0.006)
        "spun:flipchar_r3+classical_r3": 0.0,  # 0.000 (before 0.0)
    },
    # Round 4: first measured 0.043 of errors removed, AUROC 0.73, no clean post changed.
    "round4": {
        "spun:newsflip_r4": 0.175,  # 0.191 (0.207 with the judge trained on rounds 1-8; was 0.202; before 0.129)
        "spun:mtexpand_r4": 0.45,  # 0.467 (0.452 with the judge trained on rounds 1-8; 0.411 before the lean-line band; was 0.392; before 0.073)
        "spun:negation_r4": 0.0,  # 0.010 (0.004 before the lean-line band; before -0.003)
        "spun:newsflip_r4+mtexpand_r4": 0.195,  # 0.204 (0.212 before homophone sites skipped characters making a word with a neighbour; 0.220 with the judge trained on rounds 1-8; 0.212 before the lean-line band; was 0.196; before 0.072)
        "spun:newsflip_r4+negation_r4": 0.0,  # 0.000 (before 0.0)
    },
    # Round 5: first measured 0.034 of errors removed, AUROC 0.70, no clean post changed.
    "round5": {
        # (0.200 with the fragment evidence capped at 8 rather than 2)
        "spun:pressfarm_r5": 0.13,  # 0.144 (0.185 with the judge trained on rounds 1-8; 0.179 before the lean-line band; was 0.180; before 0.153)
        "spun:thesaurus_r5": 0.19,  # 0.205 (0.196 with the judge trained on rounds 1-8; 0.158 before the lean-line band; was 0.137; before 0.040)
        "spun:seo_r5": 0.0,  # 0.008 (was 0.005; before -0.002)
        "spun:pressfarm_r5+thesaurus_r5": 0.185,  # 0.201 (0.224 with the judge trained on rounds 1-8; 0.181 before the lean-line band; 0.126 before three-character contraction sites; was 0.098; before 0.055)
        "spun:pressfarm_r5+seo_r5": 0.0,  # 0.000 (before 0.0)
    },
    # Round 6: first measured 0.030 of errors removed, AUROC 0.78 (the engine before the judge).
    "round6": {
        "spun:wirefarm_r6": 0.125,  # 0.140 (0.152 with the judge trained on rounds 1-8; was 0.151; before 0.082)
        "spun:docsyn_r6": 0.04,  # 0.056 (0.078 with the judge trained on rounds 1-8; 0.068 before the lean-line band; was 0.052; before 0.032)
        "spun:health_r6": 0.065,  # 0.079 (0.063 before the lean-line band; 0.046 before three-character contraction sites; was 0.044; before 0.007)
        "spun:wirefarm_r6+docsyn_r6": 0.12,  # 0.133 (0.127 with the judge trained on rounds 1-8; 0.120 before the lean-line band; was 0.120; before 0.087)
        "spun:wirefarm_r6+health_r6": 0.0,  # 0.000 (before 0.0)
    },
    # Round 7: first measured 0.045 of errors removed, AUROC 0.82.
    "round7": {
        "spun:newsmill_r7": 0.105,  # 0.117 (0.137 with the judge trained on rounds 1-8; was 0.129; before 0.081)
        "spun:manual_r7": 0.34,  # 0.357 (0.312 with the judge trained on rounds 1-8; 0.295 before three-character contraction sites; was 0.270; before 0.052)
        "spun:sports_r7": 0.01,  # 0.015 (0.027 with the judge trained on rounds 1-8; 0.019 before the lean-line band; was -0.001; before 0.007)
        "spun:newsmill_r7+manual_r7": 0.135,  # 0.151 (0.165 with the judge trained on rounds 1-8; 0.147 before three-character contraction sites; was 0.143; before 0.029)
        "spun:newsmill_r7+sports_r7": 0.0,  # 0.000 (before 0.0)
    },
    # Round 8: first measured 0.035 of errors removed, AUROC 0.74.
    "round8": {
        "spun:presswash_r8": 0.1,  # 0.116 (0.087 with the judge trained on rounds 1-8; 0.071 before three-character contraction sites; was 0.064; before 0.037)
        "spun:devdoc_r8": 0.105,  # 0.120 (0.095 with the judge trained on rounds 1-8; 0.082 before the lean-line band; was 0.070; before 0.055)
        "spun:realty_r8": 0.015,  # 0.028 (0.012 before the lean-line band; was -0.002; before 0.005)
        "spun:presswash_r8+devdoc_r8": 0.09,  # 0.098 (0.112 before contractions knew which characters they keep; 0.130 before swaps replaced the restorations inside them; 0.071 with the judge trained on rounds 1-8; 0.049 before the lean-line band; was 0.031; before 0.027)
        "spun:presswash_r8+realty_r8": 0.0,  # 0.000 (before 0.0)
    },
    # Round 9 (written while contractions and the word model were built; read only to record its
    # first and final figures): first 0.011 of errors removed, AUROC 0.84, no clean post changed (the engine before
    # contractions, the word model and training on rounds 1–8); final 0.066, AUROC 0.84, no clean
    # post changed.  Later, with rounds 1–10 informing the contraction evidence: 0.078, AUROC 0.85.
    "round9": {
        "spun:clipfarm_r9": 0.085,  # 0.091 (0.101 with the judge trained on rounds 1-8; 0.090 before the lean-line band; was 0.069; first 0.032)
        "spun:kbdoc_r9": 0.145,  # 0.151 (0.158 with the judge trained on rounds 1-8; 0.123 before the lean-line band; was 0.110; first 0.007)
        "spun:stocktalk_r9": 0.055,  # 0.068 (0.057 with the judge trained on rounds 1-8; 0.027 before the lean-line band; was 0.017; first -0.006)
        "spun:clipfarm_r9+kbdoc_r9": 0.09,  # 0.105 (0.062 with the judge trained on rounds 1-8; 0.038 before the lean-line band; was 0.000; first 0.0)
        # (0.027 before: one light post caught by its fragments alone; first 0.027)
        "spun:clipfarm_r9+stocktalk_r9": 0.0,  # 0.000
    },
    # Round 10 (written after contractions and the word model were built): first 0.040 of errors
    # removed, AUROC 0.76, no clean post changed (0.009 and 0.77 with the engine before them).
    # Then it informed the contraction evidence, with rounds 1–9: 0.059, AUROC 0.77.
    "round10": {
        "spun:scrapfarm_r10": 0.105,  # 0.119 (0.111 with the judge trained on rounds 1-8; 0.094 before three-character contraction sites; was 0.073; before 0.029)
        "spun:apiguide_r10": 0.05,  # 0.063 (0.050 before the lean-line band; was 0.021; before 0.001)
        "spun:tripnote_r10": 0.03,  # 0.041 (was 0.038; before 0.0)
        "spun:scrapfarm_r10+apiguide_r10": 0.04,  # 0.055 (0.048 before the lean-line band; was 0.014; before -0.007)
        "spun:scrapfarm_r10+tripnote_r10": 0.0,  # 0.000 (before 0.0)
    },
    # Round 11 (written while the contraction evidence was built; read only for its first and final
    # figures): first 0.093 of errors removed, AUROC 0.75, with the engine of round 10's floors
    # (0.014 with the engine before contractions and the word model); final 0.099, AUROC 0.76; no
    # clean post changed.
    "round11": {
        "spun:copymill_r11": 0.075,  # 0.092 (0.086 with the judge trained on rounds 1-8; 0.075 before the lean-line band; 0.054 before three-character contraction sites; was 0.042; first 0.048)
        "spun:userguide_r11": 0.245,  # 0.262 (0.247 with the judge trained on rounds 1-8; 0.209 before the lean-line band; was 0.202; first 0.186)
        "spun:examprep_r11": 0.0,  # 0.005 (0.031 with the judge trained on rounds 1-8; was 0.036; first 0.017)
        "spun:copymill_r11+userguide_r11": 0.195,  # 0.208 (0.247 before contractions knew which characters they keep; 0.235 earlier; 0.194 with the judge trained on rounds 1-8; 0.184 before the lean-line band; 0.131 before three-character contraction sites; was 0.113; first 0.113)
        "spun:copymill_r11+examprep_r11": 0.0,  # 0.000 (first 0.0)
    },
    # Round 12: first 0.249 of errors removed, AUROC 0.78, and ONE short clean post changed (a
    # chatty post of one-character words read as non-word fragments; the short-post check now
    # uses the exact binomial tail, so that post's text has been read); with the soft count of
    # swaps as evidence as well: 0.259, AUROC 0.79, no clean post changed.
    "round12": {
        "spun:wirerewrite_r12": 0.2,  # 0.214 (0.171 with the judge trained on rounds 1-8; 0.139 before the lean-line band; 0.100 before three-character contraction sites; first 0.102)
        "spun:helpdesk_r12": 0.575,  # 0.589 (0.525 with the judge trained on rounds 1-8; 0.507 before the lean-line band; first 0.489)
        "spun:autoreview_r12": -0.04,  # -0.031 with the padding judge (-0.017; -0.006 before contractions knew which characters they keep; first 0.0)
        "spun:wirerewrite_r12+helpdesk_r12": 0.285,  # 0.302 (0.221 with the judge trained on rounds 1-8; 0.208 before the lean-line band; 0.188 before three-character contraction sites; first 0.156)
        "spun:wirerewrite_r12+autoreview_r12": 0.0,  # 0.000 (first 0.0)
    },
    # Round 13 (written while the soft-count evidence was built; read only for its figures):
    # first 0.237 of errors removed, AUROC 0.80, no clean post changed (0.237 and 0.79 with the
    # engine before the soft count); the final figure is the first.
    "round13": {
        "spun:feedspin_r13": 0.205,  # 0.219 (0.195 with the judge trained on rounds 1-8; 0.169 before the lean-line band; 0.103 before three-character contraction sites)
        "spun:kbrewrite_r13": 0.56,  # 0.572 (0.479 with the judge trained on rounds 1-8; 0.458 before the lean-line band)
        "spun:govnotice_r13": 0.005,  # 0.021 (0.014 before the lean-line band)
        "spun:feedspin_r13+kbrewrite_r13": 0.54,  # 0.554 (0.490 with the judge trained on rounds 1-8; 0.436 before three-character contraction sites)
        "spun:feedspin_r13+govnotice_r13": 0.0,  # 0.000
    },
    # Round 14 (read for its first figure): 0.113 of errors removed, AUROC 0.81, and FIVE clean
    # posts changed (four short, one long; all regional or written Cantonese, whose texts were
    # then read: fragments alone no longer make a short post clearly spun, and written Cantonese
    # has none); final 0.113, AUROC 0.82, no clean post changed.
    "round14": {
        "spun:newsmash_r14": 0.115,  # 0.128 (0.090 with the judge trained on rounds 1-8; 0.076 before the lean-line band; 0.044 before three-character contraction sites; first the same)
        "spun:manualwash_r14": 0.31,  # 0.325 (0.277 with the judge trained on rounds 1-8; 0.253 before the lean-line band; first the same)
        "spun:petcare_r14": -0.015,  # -0.003 (first the same)
        "spun:newsmash_r14+manualwash_r14": 0.1,  # 0.113 (0.061 with the judge trained on rounds 1-8; 0.008 before three-character contraction sites; first the same)
        "spun:newsmash_r14+petcare_r14": 0.0,  # 0.000 (first the same)
    },
    # Round 15 (read for its first figure): 0.133 of errors removed, AUROC 0.74, no short clean
    # post changed but THREE long clean paragraphs (classical and old-style prose, whose texts were
    # then read: the fragment evidence is capped lower, which mends one); final 0.137, AUROC 0.74,
    # two long paragraphs still changed, then none once classical prose is recognised by its
    # function characters.
    "round15": {
        "spun:paperflip_r15": 0.175,  # 0.187 (0.148 with the judge trained on rounds 1-8; 0.137 before the lean-line band; 0.101 before three-character contraction sites; first the same)
        "spun:docspin_r15": 0.315,  # 0.327 (0.287 with the judge trained on rounds 1-8; 0.266 before the lean-line band; 0.251 before three-character contraction sites; first 0.242)
        "spun:farmnews_r15": -0.015,  # -0.003 (first -0.010)
        "spun:paperflip_r15+docspin_r15": 0.285,  # 0.301 (0.238 with the judge trained on rounds 1-8; 0.203 before the lean-line band; 0.152 before three-character contraction sites; first the same)
        "spun:paperflip_r15+farmnews_r15": 0.0,  # 0.000 (first the same)
    },
    # Round 16 (read for its first figure): 0.233 of errors removed, AUROC 0.79, no short clean
    # post changed but TEN of its 40 long clean paragraphs (classical, literary and old-style
    # prose, whose texts were then read: the fragment evidence is capped at 2); final 0.233,
    # AUROC 0.79, four long paragraphs still changed, then two (a strict xfail below).
    "round16": {
        "spun:presshash_r16": 0.19,  # 0.207 (0.187 with the judge trained on rounds 1-8; 0.169 before the lean-line band; 0.138 before three-character contraction sites; first the same)
        "spun:wikiswap_r16": 0.485,  # 0.498 (0.416 with the judge trained on rounds 1-8; 0.406 before the lean-line band; first the same)
        "spun:carehome_r16": 0.065,  # 0.082 (0.051 before the lean-line band; first the same)
        "spun:presshash_r16+wikiswap_r16": 0.28,  # 0.293 (0.273 with the judge trained on rounds 1-8; 0.249 before three-character contraction sites; first the same)
        "spun:presshash_r16+carehome_r16": 0.0,  # 0.000 (first the same)
    },
    # Round 17 (written while the fragment cap was lowered; read only for its figures): 0.192 of
    # errors removed, AUROC 0.70, no short clean post changed, five of its 40 hard long clean
    # paragraphs changed (ten with the cap at 5, at the commit that added the round), three once
    # classical prose is recognised (decided on rounds 15-16).
    "round17": {
        "spun:bulletin_r17": 0.2,  # 0.214 (0.185 with the judge trained on rounds 1-8; 0.168 before the lean-line band; 0.143 before three-character contraction sites)
        "spun:helpwiki_r17": 0.54,  # 0.555 (0.473 with the judge trained on rounds 1-8; 0.331 before the lean-line band; 0.305 before three-character contraction sites)
        "spun:museum_r17": 0.155,  # 0.172 (0.155 with the judge trained on rounds 1-8; 0.103 before the lean-line band)
        "spun:bulletin_r17+helpwiki_r17": 0.34,  # 0.350 (0.368 before the judge was refitted on the sites of broken runs and collocations; 0.282 with the judge trained on rounds 1-8; 0.247 before the lean-line band)
        "spun:bulletin_r17+museum_r17": 0.0,  # 0.000
    },
    # Round 18 (written this round; read only for its figures; first reading at the commit that
    # added it, after classical prose was recognised): 0.079 of errors removed, AUROC 0.66, no
    # short clean post changed, two of its 40 hard long clean paragraphs changed (seven with the
    # engine before the classical check).  Then, with contraction sites from three characters
    # (decided on rounds 1-17): 0.091, AUROC 0.66, the same clean posts changed.
    "round18": {
        "spun:reprint_r18": 0.05,  # 0.062 (0.054 with the judge trained on rounds 1-8; 0.042 before the lean-line band; first 0.020)
        "spun:faqwash_r18": 0.355,  # 0.370 (0.263 with the judge trained on rounds 1-8; 0.243 before the lean-line band; first 0.235)
        "spun:lawqa_r18": 0.01,  # 0.026 (0.017 before the lean-line band; first the same)
        "spun:reprint_r18+faqwash_r18": 0.09,  # 0.102 (0.064 with the judge trained on rounds 1-8; 0.021 before the lean-line band; first 0.004)
        "spun:reprint_r18+lawqa_r18": 0.0,  # 0.000 (first the same)
    },
    # Round 19 (written this round; read only for its figures; first reading with the engine of
    # the commit that added it): 0.229 of errors removed, AUROC 0.79, no short clean post
    # changed, three of its 40 hard long clean paragraphs changed, 30 of its 42 posts with three
    # or more unambiguous artifacts detected.  Then, with the lean-line band (decided on rounds
    # 1-17): 0.246, AUROC 0.84, the same clean posts changed, 33 of 42 detected.  Then, with the
    # judge trained on rounds 1-17 (decided on round 18: 0.108 -> 0.146): 0.299, AUROC 0.845, four
    # long clean paragraphs changed, 31 of 42 detected.
    "round19": {
        "spun:newsloop_r19": 0.25,  # 0.263 (0.203 with the judge trained on rounds 1-8; 0.194 before the lean-line band; first)
        "spun:docmill_r19": 0.43,  # 0.447 (0.366 with the judge trained on rounds 1-8; 0.332 before the lean-line band; first)
        "spun:parenting_r19": 0.12,  # 0.126 (0.136 with the judge trained on rounds 1-8; 0.124 before the lean-line band; first)
        "spun:newsloop_r19+docmill_r19": 0.255,  # 0.270 (0.217 with the judge trained on rounds 1-8; first)
        "spun:newsloop_r19+parenting_r19": 0.0,  # 0.000 (first)
    },
    # Round 20 (written this round after the engine's changes; read once, for its figures): 0.244
    # of errors removed, AUROC 0.80, no short clean post changed, two of its 40 hard long clean
    # paragraphs changed, 45 of its 64 posts with three or more unambiguous artifacts detected.
    # The engine of the round's start read 0.136, AUROC 0.70, the same two paragraphs.
    "round20": {
        "spun:wirespin_r20": 0.175,  # 0.187 (0.095 at the round's start)
        "spun:apidoc_r20": 0.415,  # 0.428 (0.246 at the round's start)
        "spun:insure_r20": 0.055,  # 0.069 (0.016 at the round's start)
        "spun:wirespin_r20+apidoc_r20": 0.295,  # 0.310 (0.221 at the round's start)
        "spun:wirespin_r20+insure_r20": 0.0,  # 0.000 (the same at the round's start)
    },
    # Round 21: first measured 0.243 of errors removed, AUROC 0.756, no short clean post changed,
    # four of 40 long clean paragraphs (the engine of 87c849b); read once more after old-style
    # prose was recognised (three long paragraphs, AUROC 0.765, the same removals).
    "round21": {
        "spun:dispatch_r21": 0.255,  # 0.271 (first: the same)
        "spun:howto_r21": 0.295,  # 0.308 (first: the same)
        "spun:jobdesk_r21": 0.01,  # 0.020 (first: the same)
        "spun:dispatch_r21+howto_r21": 0.325,  # 0.342 (first: the same)
        "spun:dispatch_r21+jobdesk_r21": 0.0,  # 0.000 (first: the same)
    },
    # Round 22: first measured 0.158 of errors removed, AUROC 0.831, no short clean post changed,
    # one of 40 long clean paragraphs, 37 of 57 marked posts detected (the engine of b6bd0d8,
    # whose outputs on rounds 1-21 are those of the round's start).  Development data once round
    # 23 arrived: its changed long paragraph (a domain word read as two originals) is untouched
    # since a form restored two ways in one post is left alone; the removals are the same.
    "round22": {
        "spun:rehash_r22": 0.15,  # 0.165 (first)
        "spun:guidebook_r22": 0.175,  # 0.190 (first)
        "spun:angling_r22": -0.015,  # -0.006 with the padding judge (0.000 first)
        "spun:rehash_r22+guidebook_r22": 0.255,  # 0.273 (first)
        "spun:rehash_r22+angling_r22": 0.0,  # 0.000 (first)
    },
    # Round 23: first measured 0.235 of errors removed, AUROC 0.853, no short clean post changed,
    # three of 40 long clean paragraphs, 43 of 59 marked posts detected (the engine of a14982a;
    # two long paragraphs before a few phrases of the set were reworded for provenance).  Final
    # (a form restored two ways in one post left alone, decided on rounds 1-22): 0.232, the tech
    # family 0.360, the same AUROC, clean posts and marked posts.
    "round23": {
        "spun:recycle_r23": 0.16,  # 0.178 (first)
        "spun:handbook_r23": 0.345,  # 0.360 (first 0.373)
        "spun:homefix_r23": 0.075,  # 0.094 (first)
        "spun:recycle_r23+handbook_r23": 0.345,  # 0.363 (first)
        "spun:recycle_r23+homefix_r23": 0.0,  # 0.000 (first)
    },
    # Round 24: first measured 0.104 of errors removed, AUROC 0.719, no short clean post changed,
    # four of 40 long clean paragraphs, 28 of 65 marked posts detected (the engine of 5357efc, the
    # same figures with a32b6ae's; 0.108, 0.720 and 30 of 65 before a few phrases of the set were
    # reworded for provenance).
    "round24": {
        "spun:reword_r24": 0.04,  # 0.056 (first)
        "spun:manualspin_r24": 0.195,  # 0.212 (first)
        "spun:garden_r24": 0.0,  # 0.000 (first)
        "spun:reword_r24+manualspin_r24": 0.145,  # 0.162 (first)
        "spun:reword_r24+garden_r24": 0.0,  # 0.000 (first)
    },
    # Round 25: first measured 0.161 of errors removed, AUROC 0.767, no short clean post changed,
    # three of 40 long clean paragraphs, 50 of 79 marked posts detected (the engine of 8f667e0).
    "round25": {
        "spun:respin_r25": 0.055,  # 0.069 (first)
        "spun:docwash_r25": 0.275,  # 0.291 (first)
        "spun:stargaze_r25": 0.14,  # 0.155 (first)
        "spun:respin_r25+docwash_r25": 0.125,  # 0.142 (first)
        "spun:respin_r25+stargaze_r25": 0.0,  # 0.000 (first)
    },
    # Round 26: first measured 0.267 of errors removed, AUROC 0.873, no short clean post changed,
    # three of 40 long clean paragraphs, 62 of 77 marked posts detected (the engine of 2c0b58d).
    "round26": {
        "spun:rewrite_r26": 0.215,  # 0.232 (first)
        "spun:docloop_r26": 0.455,  # 0.472 (first)
        "spun:weiqi_r26": 0.03,  # 0.046 (first)
        "spun:rewrite_r26+docloop_r26": 0.22,  # 0.236 (first)
        "spun:rewrite_r26+weiqi_r26": 0.0,  # 0.000 (first)
    },
    # Round 27: first measured 0.260 of errors removed, AUROC 0.882, no short clean post changed,
    # two of 40 long clean paragraphs, 47 of 71 marked posts detected (the engine of 4b81c7a).
    "round27": {
        "spun:repost_r27": 0.145,  # 0.163 (first)
        "spun:docshift_r27": 0.49,  # 0.509 (first)
        "spun:teahouse_r27": 0.005,  # 0.024 (first)
        "spun:repost_r27+docshift_r27": 0.22,  # 0.237 (first)
        "spun:repost_r27+teahouse_r27": 0.0,  # 0.000 (first)
    },
    # Round 28: first measured 0.332 of errors removed, AUROC 0.796, no short clean post changed,
    # one of 40 long clean paragraphs, 45 of 68 marked posts detected (the engine of 6510a95; the
    # same figures after seven short clean posts were reworded on review, AUROC 0.7964 to 0.7958).
    "round28": {
        "spun:rescrape_r28": 0.165,  # 0.182 (first)
        "spun:docflip_r28": 0.62,  # 0.637 (first)
        "spun:birding_r28": -0.005,  # 0.010 (first)
        "spun:rescrape_r28+docflip_r28": 0.285,  # 0.304 (first)
        "spun:rescrape_r28+birding_r28": 0.0,  # 0.000 (first)
    },
    # Round 29: first measured 0.313 of errors removed, AUROC 0.828, no short clean post changed,
    # two of 40 long clean paragraphs, 29 of 63 marked posts detected (the engine of da73a48).
    "round29": {
        "spun:respun_r29": 0.035,  # 0.051 (first)
        "spun:docrespin_r29": 0.715,  # 0.732 (first)
        "spun:brushink_r29": -0.01,  # 0.008 (first)
        "spun:respun_r29+docrespin_r29": 0.185,  # 0.203 (first)
        "spun:respun_r29+brushink_r29": 0.0,  # 0.000 (first)
    },
    # Round 30: first measured 0.3145 of errors removed, AUROC 0.8455, no short clean post changed,
    # three of 40 long clean paragraphs, 49 of 72 marked posts detected (a frozen copy of the engine
    # taken when the round was written).
    "round30": {
        "spun:rewash_r30": 0.13,  # 0.148 (first)
        "spun:docremix_r30": 0.59,  # 0.610 (first)
        "spun:bakery_r30": -0.015,  # 0.000 (first)
        "spun:rewash_r30+docremix_r30": 0.36,  # 0.375 (first)
        "spun:rewash_r30+bakery_r30": 0.0,  # 0.000 (first)
    },
    # Round 31: first measured 0.2723 of errors removed, AUROC 0.885, no short clean post changed,
    # none of its 40 long clean paragraphs, 35 of 69 marked posts detected (a frozen copy of the
    # engine taken when the round was written: the engine of baa7a61).
    "round31": {
        "spun:retread_r31": 0.29,  # 0.3107 with the padding judge (0.1095 first)
        "spun:docrecast_r31": 0.535,  # 0.5527 (first)
        "spun:shutter_r31": 0.01,  # 0.0284 with the padding judge (0.0217 first)
        "spun:retread_r31+docrecast_r31": 0.395,  # 0.4118 with the padding judge (0.2857 first)
        "spun:retread_r31+shutter_r31": 0.0,  # 0.000 (first)
    },
    # Round 32: first measured 0.1802 of errors removed, AUROC 0.8379, one of its 357 short clean
    # posts changed, two of its 40 long clean paragraphs, 36 of 71 marked posts detected (a frozen
    # copy of the engine taken when the round was written: the engine of a47f4d0).
    "round32": {
        "spun:flipwire_r32": -0.005,  # 0.0145 (first)
        "spun:docreword_r32": 0.375,  # 0.3947 (first)
        "spun:pedal_r32": -0.02,  # -0.0034 (first)
        "spun:flipwire_r32+docreword_r32": 0.29,  # 0.308 (first)
        "spun:flipwire_r32+pedal_r32": 0.0,  # 0.000 (first)
    },
    # Round 33: first measured 0.2068 of errors removed, AUROC 0.851, none of its 384 short clean
    # posts changed, one of its 40 long clean paragraphs, 72 of 119 marked posts detected (a frozen
    # copy of the engine taken when the round was written: the engine of be5588c).
    "round33": {
        "spun:churn_r33": 0.08,  # 0.0967 (first)
        "spun:docrework_r33": 0.465,  # 0.4837 (first)
        "spun:fishtank_r33": -0.01,  # 0.0070 (first)
        "spun:churn_r33+docrework_r33": 0.175,  # 0.193 (first)
        "spun:churn_r33+fishtank_r33": 0.0,  # 0.000 (first)
    },
    # Round 34: first measured 0.1803 of errors removed, AUROC 0.8269, one of its 430 short clean
    # posts changed, one of its 40 long clean paragraphs, 38 of 106 marked posts detected (a frozen
    # copy of the engine taken when the round was written: the engine of 66963ff).
    "round34": {
        "spun:rerun_r34": -0.02,  # -0.0009 (first)
        "spun:docrevise_r34": 0.44,  # 0.4595 (first)
        "spun:apiary_r34": -0.025,  # -0.0071 (first)
        "spun:rerun_r34+docrevise_r34": 0.135,  # 0.1529 (first)
        "spun:rerun_r34+apiary_r34": 0.0,  # 0.000 (first)
    },
    # Round 35: first measured 0.1033 of errors removed, AUROC 0.8924, one of its 432 short clean
    # posts changed, one of its 40 long clean paragraphs, 79 of 111 marked posts detected (a frozen
    # copy of the engine taken when the round was written: the engine of 4a1c679).
    "round35": {
        "spun:redo_r35": 0.11,  # 0.1255 (first)
        "spun:docrephrase_r35": 0.12,  # 0.1362 (first)
        "spun:campfire_r35": -0.02,  # -0.0017 (first)
        "spun:redo_r35+docrephrase_r35": 0.1,  # 0.1179 (first)
        "spun:redo_r35+campfire_r35": 0.0,  # 0.000 (first)
    },
    # Round 36: first measured 0.0765 of errors removed, AUROC 0.8512, none of its 430 short clean
    # posts changed, none of its 40 long clean paragraphs, 76 of 107 marked posts detected (a frozen
    # copy of the engine taken when the round was written, with the checkout at 70cfdc4).
    "round36": {
        "spun:reissue_r36": 0.055,  # 0.0722 (first)
        "spun:docreshape_r36": 0.12,  # 0.1344 (first)
        "spun:stride_r36": -0.015,  # 0.000 (first)
        "spun:reissue_r36+docreshape_r36": 0.055,  # 0.0739 (first)
        "spun:reissue_r36+stride_r36": 0.0,  # 0.000 (first)
    },
    "round37": {
        "spun:recopy_r37": 0.035,  # 0.0509 (0.0107 first, before homophone sites)
        "spun:docrecraft_r37": 0.05,  # 0.0672 (first)
        "spun:wok_r37": -0.02,  # -0.0016 (first)
        "spun:recopy_r37+docrecraft_r37": 0.09,  # 0.1092 (0.0546 first)
        "spun:recopy_r37+wok_r37": 0.0,  # 0.000 (first)
        # short posts of 17-28 characters spun with all three tables
        "spun:recopy_r37+docrecraft_r37+wok_r37": 0.0,  # 0.0060 (0.0030 first)
    },
    # Round 38: first measured 0.0385 of errors removed, AUROC 0.8190, none of its 430 short clean
    # posts changed, one of its 40 long clean paragraphs, 58 of 141 marked posts detected (a frozen
    # copy of the engine of cec7a79).
    "round38": {
        "spun:rewire_r38": 0.08,  # 0.0973 (first)
        "spun:docrevamp_r38": 0.01,  # 0.0236 (first)
        "spun:purl_r38": -0.025,  # -0.0086 (first)
        "spun:rewire_r38+docrevamp_r38": 0.025,  # 0.0409 (first)
        "spun:rewire_r38+purl_r38": 0.0,  # 0.000 (first)
        # short posts of 17-25 characters spun with all three tables
        "spun:rewire_r38+docrevamp_r38+purl_r38": 0.0,  # 0.0089 (first)
    },
}

# round → least AUROC of the post score, spun posts against clean ones (measured in comments).
AUROC = {
    "round1": 0.82,  # 0.847 (0.840 before the lean-line band; was 0.834; before 0.836)
    "round2": 0.72,  # 0.741 (0.732 before the lean-line band; was 0.727; before 0.731)
    "round3": 0.76,  # 0.771 (0.786 with the judge trained on rounds 1-8; 0.757 before the lean-line band; was 0.746; before 0.753)
    "round4": 0.81,  # 0.825 (0.833 with the judge trained on rounds 1-8; 0.798 before the lean-line band; was 0.786; before 0.795)
    "round5": 0.73,  # 0.744 (0.751 with the judge trained on rounds 1-8; 0.726 before the lean-line band; was 0.713; before 0.718)
    "round6": 0.84,  # 0.861 (0.804 before the lean-line band; was 0.789; before 0.795)
    "round7": 0.86,  # 0.868 (0.882 with the judge trained on rounds 1-8; 0.849 before the lean-line band; was 0.834; before 0.838)
    "round8": 0.79,  # 0.807 (0.815 with the judge trained on rounds 1-8; 0.759 before the lean-line band; was 0.728; before 0.743)
    "round9": 0.89,  # 0.917 (0.857 before the lean-line band; was 0.838; 0.842 first)
    "round10": 0.79,  # 0.816 (0.782 before the lean-line band; was 0.771; first 0.762; 0.765 before contractions and the word model)
    "round11": 0.78,  # 0.805 (0.770 before the lean-line band; was 0.761; first 0.749)
    "round12": 0.81,  # 0.834 (0.789 before the lean-line band; first 0.781)
    "round13": 0.82,  # 0.841 (0.799 before the lean-line band; first)
    "round14": 0.83,  # 0.856 (0.825 before the lean-line band; first 0.815)
    "round15": 0.78,  # 0.810 (0.804 with the judge trained on rounds 1-8; 0.737 before the lean-line band; first 0.736)
    "round16": 0.82,  # 0.843 (0.793 before the lean-line band; first 0.788)
    "round17": 0.82,  # 0.844 (0.836 with the judge trained on rounds 1-8; 0.704 before the lean-line band; 0.699 with the cap at 5)
    "round18": 0.74,  # 0.766 (0.662 before the lean-line band; first 0.658)
    "round19": 0.82,  # 0.845 (0.840 with the judge trained on rounds 1-8; 0.793 before the lean-line band; first)
    "round20": 0.77,  # 0.797 (first; 0.698 at the round's start)
    "round21": 0.73,  # 0.765 (0.756 first)
    "round22": 0.8,  # 0.831 (first)
    "round23": 0.82,  # 0.853 (first)
    "round24": 0.69,  # 0.719 (first)
    "round25": 0.74,  # 0.767 (first)
    "round26": 0.84,  # 0.873 (first)
    "round27": 0.85,  # 0.882 (first)
    "round28": 0.77,  # 0.796 (first)
    "round29": 0.8,  # 0.828 (first)
    "round30": 0.81,  # 0.8455 (first)
    "round31": 0.875,  # 0.8946 with the padding judge (0.885 first)
    "round32": 0.81,  # 0.8379 (first)
    "round33": 0.82,  # 0.851 (first)
    "round34": 0.8,  # 0.8269 (first)
    "round35": 0.86,  # 0.8924 (first)
    "round36": 0.82,  # 0.8512 (first)
    "round37": 0.8,  # 0.8289 (first)
    "round38": 0.79,  # 0.8190 (first)
}
# round → least share of its spun posts with at least three unambiguous artifacts (non-words such
# as 年夜会, 基天; ``evaluate.artifacts``) that are detected (score ≥ 0.5); the target is
# every one of them.  Comments: detected of such posts when the floor was set.
MARKED = {
    "round1": 0.85,  # 48 of 56 (49 before old-style prose was recognised: a spun line of one-character fragments reads as such; 51 with the judge trained on rounds 1-8)
    "round2": 0.75,  # 47 of 60 (52 with the judge trained on rounds 1-8)
    "round3": 0.39,  # 31 of 73 (38 with the judge trained on rounds 1-8; 35 before the lean-line band)
    "round4": 0.64,  # 65 of 98 (63 before the lean-line band)
    "round5": 0.62,  # 49 of 75 (52 with the judge trained on rounds 1-8)
    "round6": 0.75,  # 87 of 114 (88 with the judge trained on rounds 1-8; 83 before the lean-line band)
    "round7": 0.7,  # 72 of 101 (73 before unseen pairs inside long words stopped being suspects; 77 with the judge trained on rounds 1-8; 74 before the lean-line band)
    "round8": 0.67,  # 67 of 96 (64 with the judge trained on rounds 1-8; 62 before the lean-line band)
    "round9": 0.77,  # 87 of 112 (89 with the judge trained on rounds 1-8; 78 before the lean-line band)
    "round10": 0.64,  # 60 of 90 (56 before the lean-line band)
    "round11": 0.82,  # 56 of 68 (58 with the judge trained on rounds 1-8; 52 before the lean-line band)
    "round12": 0.78,  # 56 of 69 (54 with the judge trained on rounds 1-8; 49 before the lean-line band)
    "round13": 0.93,  # 60 of 62 (57 before the lean-line band)
    "round14": 0.61,  # 54 of 85 (47 before the lean-line band)
    "round15": 0.7,  # 57 of 80 (58 with the judge trained on rounds 1-8; 49 before the lean-line band)
    "round16": 0.88,  # 86 of 95 (84 with the judge trained on rounds 1-8; 78 before the lean-line band)
    "round17": 0.9,  # 58 of 62 (56 with the judge trained on rounds 1-8; 46 before the lean-line band)
    "round18": 0.53,  # 37 of 65 (40 with the judge trained on rounds 1-8; 32 before the lean-line band)
    "round19": 0.73,  # 31 of 42 (33 with the judge trained on rounds 1-8; 30 before the lean-line band; first)
    "round20": 0.67,  # 45 of 64 (first)
    "round21": 0.8,  # 42 of 51 (first: the same)
    "round22": 0.62,  # 37 of 57 (first)
    "round23": 0.69,  # 43 of 59 (first)
    "round24": 0.41,  # 28 of 65 (first)
    "round25": 0.61,  # 50 of 79 (first)
    "round26": 0.78,  # 62 of 77 (first)
    "round27": 0.64,  # 47 of 71 (first)
    "round28": 0.64,  # 45 of 68 (first)
    "round29": 0.44,  # 29 of 63 (first)
    "round30": 0.66,  # 49 of 72 (first)
    "round31": 0.72,  # 52 of 69 with the padding judge (35 of 69 first)
    "round32": 0.5,  # 36 of 71 (first)
    "round33": 0.59,  # 72 of 119 (first)
    "round34": 0.33,  # 38 of 106 (first)
    "round35": 0.68,  # 79 of 111 (first)
    "round36": 0.68,  # 76 of 107 (first)
    "round37": 0.23,  # 48 of 191 (first)
    "round38": 0.39,  # 58 of 141 (first)
}
# Families whose posts the score must rank almost perfectly (the 年夜 kind the lexicon knows).
FAMILY_AUROC = {
    ("round1", "spun:nianye_r1"): 0.95,  # 0.984
    ("round2", "spun:charswap_r2"): 0.94,  # 0.997
}

_cache: dict[str, dict] = {}


def _round(name: str) -> dict:
    """The round's figures, evaluated once per test process."""
    if name not in _cache:
        manifest = BLIND / name / "manifest.json"
        if not manifest.exists():
            pytest.skip(f"blind set {name} is not in this checkout")
        _cache[name] = evaluate_manifest(manifest)
    return _cache[name]


@pytest.mark.parametrize(
    ("name", "family", "floor"),
    [(name, family, floor) for name, floors in FLOORS.items() for family, floor in floors.items()],
)
def test_errors_removed_floor(name, family, floor):
    figures = _round(name)["families"][family]
    assert figures["errors_before"] > 0
    assert figures["errors_removed"] >= floor, figures


@pytest.mark.parametrize(("name", "floor"), sorted(AUROC.items()))
def test_spun_posts_rank_above_clean_posts(name, floor):
    figures = _round(name)["kinds"]["spun"]
    assert figures["auroc"] >= floor, figures


@pytest.mark.parametrize(("name", "floor"), sorted(MARKED.items()))
def test_posts_with_unambiguous_artifacts_are_detected(name, floor):
    figures = _round(name)["kinds"]["spun"]
    assert figures["marked_posts"] > 0
    assert figures["marked_detected"] >= floor * figures["marked_posts"], figures


@pytest.mark.parametrize(("key", "floor"), sorted(FAMILY_AUROC.items()))
def test_family_posts_rank_above_clean_posts(key, floor):
    name, family = key
    assert _round(name)["families"][family]["auroc"] >= floor


# Rounds whose clean text the engine still changes, and why.
# (Round 35's one changed short clean post, read to find why, is untouched since a common
# word needs a larger LM gain to count as a fluent site; its changed long paragraph was untouched
# once written south-western Mandarin was recognised.)
CLEAN_FAILURES = {
    "round17": "two of its 40 hard long clean paragraphs are changed (a modern essay on a classical "
    "poem, and a rural memoir since contractions knew which characters they keep; two before "
    "old-style prose was recognised)",
    "round23": "one of its 40 hard long clean paragraphs is changed (a letter of apology, since "
    "contractions knew which characters they keep; none before)",
    "round24": "one of its 40 hard long clean paragraphs is changed (an essay on the 诗经; two before "
    "the evidence of real-word forms was capped, three before written Wu was recognised, four at "
    "the first reading, before old-style documents of two-character words were recognised)",
    "round27": "one of its 40 hard long clean paragraphs is changed (an essay on a poem of 苏轼, four "
    "characters of its prose since quoted verse keeps its words, five before; two at the first "
    "reading, before the formulae of old contracts and proclamations were recognised; no short "
    "clean post is changed)",
    "round30": "two of its 40 hard long clean paragraphs are changed (an essay quoting a poem and a "
    "glossary of baking terms; three at the first reading, before 皆, 凡 and 倘 made a set of guild "
    "rules an old-style document; no short clean post is changed)",
    "round37": "one of its 40 hard long clean paragraphs is changed (since the first reading; not "
    "read while the round is blind; no short clean post is changed)",
    "round38": "one of its 40 hard long clean paragraphs is changed (at the first reading; not read "
    "while the round is blind; no short clean post is changed)",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=CLEAN_FAILURES[name]))
        if name in CLEAN_FAILURES
        else name
        for name in sorted(FLOORS)
    ],
)
def test_clean_posts_are_untouched(name):
    figures = _round(name)
    assert figures["sets"]["clean_long"]["posts_touched"] == 0
    assert figures["sets"]["clean_short"]["posts_touched"] == 0, figures["sets"]["clean_short"]
    assert figures["kinds"]["clean"]["changed_per_10k_correct"] == 0.0


def test_every_round_on_disk_has_floors():
    """A new blind round gets its floors here when its first figures are recorded."""
    on_disk = {p.parent.name for p in BLIND.glob("round*/manifest.json")}
    assert on_disk <= set(FLOORS), sorted(on_disk - set(FLOORS))
    assert on_disk <= set(MARKED), sorted(on_disk - set(MARKED))
