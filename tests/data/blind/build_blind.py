#!/usr/bin/env python3
"""Rebuild the blind spun-text evaluation sets from their tables and original texts.

    python tests/data/blind/build_blind.py            # rewrite spun/*.txt and manifest.json, then check
    python tests/data/blind/build_blind.py --check    # only check that the committed files are reproduced

For every spun set the original text (texts/<file>.txt, one paragraph or post per line) is run
through one spinner table (or two at once) in a single left-to-right pass: at each position the
longest table entry that matches is an eligible occurrence; it is replaced with probability
`rate` (seeded per line), the pass continues after it, and output is never re-scanned (no chains,
no overlaps). A line of a normal set that ends up with fewer than 3 substitutions is spun again
with rate 1.0; if it still has fewer than 3 the build fails. A "light" set gets exactly 1 or 2
substitutions per line. Clean sets are checked only (length, no spinner marks).
"""
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name, kind, family (table names joined by "+"), register, text file, rate, light
ROUNDS = {
    "round1": [
        ("news_nianye", "spun", "nianye_r1", "news", "news", 0.85, False),
        ("tech_thesaurus", "spun", "thesaurus_r1", "tech", "tech", 0.8, False),
        ("social_synonym", "spun", "synonym_r1", "social", "social", 0.9, False),
        ("mixed_double", "spun", "nianye_r1+thesaurus_r1", "mixed", "double", 0.75, False),
        ("light_mixed", "spun", "nianye_r1+synonym_r1", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round2": [
        ("news_charswap", "spun", "charswap_r2", "news", "news", 0.8, False),
        ("tech_roundtrip", "spun", "roundtrip_r2", "tech", "tech", 0.85, False),
        ("social_homophone", "spun", "homophone_r2", "social", "social", 0.9, False),
        ("mixed_double", "spun", "charswap_r2+roundtrip_r2", "mixed", "double", 0.75, False),
        ("light_mixed", "spun", "charswap_r2+homophone_r2", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round3": [
        ("news_flipchar", "spun", "flipchar_r3", "news", "news", 0.8, False),
        ("tech_backtrans", "spun", "backtrans_r3", "tech", "tech", 0.8, False),
        ("social_classical", "spun", "classical_r3", "social", "social", 0.85, False),
        ("mixed_double", "spun", "flipchar_r3+backtrans_r3", "mixed", "double", 0.75, False),
        ("light_mixed", "spun", "flipchar_r3+classical_r3", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round4": [
        ("news_newsflip", "spun", "newsflip_r4", "news", "news", 0.5, False),
        ("tech_mtexpand", "spun", "mtexpand_r4", "tech", "tech", 0.8, False),
        ("social_negation", "spun", "negation_r4", "social", "social", 0.6, False),
        ("mixed_double", "spun", "newsflip_r4+mtexpand_r4", "mixed", "double", 0.5, False),
        ("light_mixed", "spun", "newsflip_r4+negation_r4", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round5": [
        ("news_pressfarm", "spun", "pressfarm_r5", "news", "news", 0.6, False),
        ("tech_thesaurus", "spun", "thesaurus_r5", "tech", "tech", 0.7, False),
        ("reviews_seo", "spun", "seo_r5", "reviews", "reviews", 0.7, False),
        ("mixed_double", "spun", "pressfarm_r5+thesaurus_r5", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "pressfarm_r5+seo_r5", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round6": [
        ("news_wirefarm", "spun", "wirefarm_r6", "news", "news", 0.55, False),
        ("tech_docsyn", "spun", "docsyn_r6", "tech", "tech", 0.7, False),
        ("health_wellness", "spun", "health_r6", "health", "health", 0.65, False),
        ("mixed_double", "spun", "wirefarm_r6+docsyn_r6", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "wirefarm_r6+health_r6", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round7": [
        ("news_newsmill", "spun", "newsmill_r7", "news", "news", 0.55, False),
        ("tech_manual", "spun", "manual_r7", "tech", "tech", 0.7, False),
        ("sports_report", "spun", "sports_r7", "sports", "sports", 0.65, False),
        ("mixed_double", "spun", "newsmill_r7+manual_r7", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "newsmill_r7+sports_r7", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round8": [
        ("news_presswash", "spun", "presswash_r8", "news", "news", 0.55, False),
        ("tech_devdoc", "spun", "devdoc_r8", "tech", "tech", 0.7, False),
        ("realty_listing", "spun", "realty_r8", "realty", "realty", 0.65, False),
        ("mixed_double", "spun", "presswash_r8+devdoc_r8", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "presswash_r8+realty_r8", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round9": [
        ("news_clipfarm", "spun", "clipfarm_r9", "news", "news", 0.55, False),
        ("tech_kbdoc", "spun", "kbdoc_r9", "tech", "tech", 0.7, False),
        ("finance_stocktalk", "spun", "stocktalk_r9", "finance", "finance", 0.65, False),
        ("mixed_double", "spun", "clipfarm_r9+kbdoc_r9", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "clipfarm_r9+stocktalk_r9", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round10": [
        ("news_scrapfarm", "spun", "scrapfarm_r10", "news", "news", 0.55, False),
        ("tech_apiguide", "spun", "apiguide_r10", "tech", "tech", 0.7, False),
        ("travel_tripnote", "spun", "tripnote_r10", "travel", "travel", 0.65, False),
        ("mixed_double", "spun", "scrapfarm_r10+apiguide_r10", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "scrapfarm_r10+tripnote_r10", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round11": [
        ("news_copymill", "spun", "copymill_r11", "news", "news", 0.55, False),
        ("tech_userguide", "spun", "userguide_r11", "tech", "tech", 0.7, False),
        ("education_examprep", "spun", "examprep_r11", "education", "education", 0.65, False),
        ("mixed_double", "spun", "copymill_r11+userguide_r11", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "copymill_r11+examprep_r11", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round12": [
        ("news_wirerewrite", "spun", "wirerewrite_r12", "news", "news", 0.55, False),
        ("tech_helpdesk", "spun", "helpdesk_r12", "tech", "tech", 0.7, False),
        ("auto_autoreview", "spun", "autoreview_r12", "auto", "auto", 0.65, False),
        ("mixed_double", "spun", "wirerewrite_r12+helpdesk_r12", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "wirerewrite_r12+autoreview_r12", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round13": [
        ("news_feedspin", "spun", "feedspin_r13", "news", "news", 0.55, False),
        ("tech_kbrewrite", "spun", "kbrewrite_r13", "tech", "tech", 0.7, False),
        ("notice_govnotice", "spun", "govnotice_r13", "notice", "notice", 0.65, False),
        ("mixed_double", "spun", "feedspin_r13+kbrewrite_r13", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "feedspin_r13+govnotice_r13", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round14": [
        ("news_newsmash", "spun", "newsmash_r14", "news", "news", 0.55, False),
        ("tech_manualwash", "spun", "manualwash_r14", "tech", "tech", 0.7, False),
        ("pets_petcare", "spun", "petcare_r14", "pets", "pets", 0.65, False),
        ("mixed_double", "spun", "newsmash_r14+manualwash_r14", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "newsmash_r14+petcare_r14", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round15": [
        ("news_paperflip", "spun", "paperflip_r15", "news", "news", 0.55, False),
        ("tech_docspin", "spun", "docspin_r15", "tech", "tech", 0.7, False),
        ("farm_farmnews", "spun", "farmnews_r15", "farm", "farm", 0.65, False),
        ("mixed_double", "spun", "paperflip_r15+docspin_r15", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "paperflip_r15+farmnews_r15", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round16": [
        ("news_presshash", "spun", "presshash_r16", "news", "news", 0.55, False),
        ("tech_wikiswap", "spun", "wikiswap_r16", "tech", "tech", 0.7, False),
        ("care_carehome", "spun", "carehome_r16", "care", "care", 0.65, False),
        ("mixed_double", "spun", "presshash_r16+wikiswap_r16", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "presshash_r16+carehome_r16", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round17": [
        ("news_bulletin", "spun", "bulletin_r17", "news", "news", 0.55, False),
        ("tech_helpwiki", "spun", "helpwiki_r17", "tech", "tech", 0.7, False),
        ("museum_exhibit", "spun", "museum_r17", "museum", "museum", 0.65, False),
        ("mixed_double", "spun", "bulletin_r17+helpwiki_r17", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "bulletin_r17+museum_r17", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round18": [
        ("news_reprint", "spun", "reprint_r18", "news", "news", 0.55, False),
        ("tech_faqwash", "spun", "faqwash_r18", "tech", "tech", 0.7, False),
        ("legal_lawqa", "spun", "lawqa_r18", "legal", "legal", 0.65, False),
        ("mixed_double", "spun", "reprint_r18+faqwash_r18", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "reprint_r18+lawqa_r18", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round19": [
        ("news_newsloop", "spun", "newsloop_r19", "news", "news", 0.55, False),
        ("tech_docmill", "spun", "docmill_r19", "tech", "tech", 0.7, False),
        ("parenting_care", "spun", "parenting_r19", "parenting", "parenting", 0.65, False),
        ("mixed_double", "spun", "newsloop_r19+docmill_r19", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "newsloop_r19+parenting_r19", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round20": [
        ("news_wirespin", "spun", "wirespin_r20", "news", "news", 0.55, False),
        ("tech_apidoc", "spun", "apidoc_r20", "tech", "tech", 0.7, False),
        ("insurance_qa", "spun", "insure_r20", "insurance", "insurance", 0.65, False),
        ("mixed_double", "spun", "wirespin_r20+apidoc_r20", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "wirespin_r20+insure_r20", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round21": [
        ("news_dispatch", "spun", "dispatch_r21", "news", "news", 0.55, False),
        ("tech_howto", "spun", "howto_r21", "tech", "tech", 0.7, False),
        ("career_jobdesk", "spun", "jobdesk_r21", "career", "career", 0.65, False),
        ("mixed_double", "spun", "dispatch_r21+howto_r21", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "dispatch_r21+jobdesk_r21", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round22": [
        ("news_rehash", "spun", "rehash_r22", "news", "news", 0.55, False),
        ("tech_guidebook", "spun", "guidebook_r22", "tech", "tech", 0.7, False),
        ("fishing_angling", "spun", "angling_r22", "fishing", "fishing", 0.65, False),
        ("mixed_double", "spun", "rehash_r22+guidebook_r22", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "rehash_r22+angling_r22", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round23": [
        ("news_recycle", "spun", "recycle_r23", "news", "news", 0.55, False),
        ("tech_handbook", "spun", "handbook_r23", "tech", "tech", 0.7, False),
        ("renovation_homefix", "spun", "homefix_r23", "renovation", "renovation", 0.65, False),
        ("mixed_double", "spun", "recycle_r23+handbook_r23", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "recycle_r23+homefix_r23", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round24": [
        ("news_reword", "spun", "reword_r24", "news", "news", 0.55, False),
        ("tech_manualspin", "spun", "manualspin_r24", "tech", "tech", 0.7, False),
        ("garden_column", "spun", "garden_r24", "garden", "garden", 0.65, False),
        ("mixed_double", "spun", "reword_r24+manualspin_r24", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "reword_r24+garden_r24", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round25": [
        ("news_respin", "spun", "respin_r25", "news", "news", 0.55, False),
        ("tech_docwash", "spun", "docwash_r25", "tech", "tech", 0.7, False),
        ("astro_stargaze", "spun", "stargaze_r25", "astronomy", "astro", 0.65, False),
        ("mixed_double", "spun", "respin_r25+docwash_r25", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "respin_r25+stargaze_r25", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round26": [
        ("news_rewrite", "spun", "rewrite_r26", "news", "news", 0.55, False),
        ("tech_docloop", "spun", "docloop_r26", "tech", "tech", 0.7, False),
        ("weiqi_column", "spun", "weiqi_r26", "weiqi", "weiqi", 0.65, False),
        ("mixed_double", "spun", "rewrite_r26+docloop_r26", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "rewrite_r26+weiqi_r26", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round27": [
        ("news_repost", "spun", "repost_r27", "news", "news", 0.55, False),
        ("tech_docshift", "spun", "docshift_r27", "tech", "tech", 0.7, False),
        ("tea_column", "spun", "teahouse_r27", "tea", "tea", 0.65, False),
        ("mixed_double", "spun", "repost_r27+docshift_r27", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "repost_r27+teahouse_r27", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round28": [
        ("news_rescrape", "spun", "rescrape_r28", "news", "news", 0.55, False),
        ("tech_docflip", "spun", "docflip_r28", "tech", "tech", 0.7, False),
        ("birding_column", "spun", "birding_r28", "birding", "birding", 0.65, False),
        ("mixed_double", "spun", "rescrape_r28+docflip_r28", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "rescrape_r28+birding_r28", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round29": [
        ("news_respun", "spun", "respun_r29", "news", "news", 0.55, False),
        ("tech_docrespin", "spun", "docrespin_r29", "tech", "tech", 0.7, False),
        ("calligraphy_column", "spun", "brushink_r29", "calligraphy", "calligraphy", 0.65, False),
        ("mixed_double", "spun", "respun_r29+docrespin_r29", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "respun_r29+brushink_r29", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round30": [
        ("news_rewash", "spun", "rewash_r30", "news", "news", 0.55, False),
        ("tech_docremix", "spun", "docremix_r30", "tech", "tech", 0.7, False),
        ("baking_column", "spun", "bakery_r30", "baking", "baking", 0.65, False),
        ("mixed_double", "spun", "rewash_r30+docremix_r30", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "rewash_r30+bakery_r30", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round31": [
        ("news_retread", "spun", "retread_r31", "news", "news", 0.55, False),
        ("tech_docrecast", "spun", "docrecast_r31", "tech", "tech", 0.7, False),
        ("photo_column", "spun", "shutter_r31", "photography", "photo", 0.65, False),
        ("mixed_double", "spun", "retread_r31+docrecast_r31", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "retread_r31+shutter_r31", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round32": [
        ("news_flipwire", "spun", "flipwire_r32", "news", "news", 0.55, False),
        ("tech_docreword", "spun", "docreword_r32", "tech", "tech", 0.7, False),
        ("cycling_column", "spun", "pedal_r32", "cycling", "cycling", 0.65, False),
        ("mixed_double", "spun", "flipwire_r32+docreword_r32", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "flipwire_r32+pedal_r32", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round33": [
        ("news_churn", "spun", "churn_r33", "news", "news", 0.55, False),
        ("tech_docrework", "spun", "docrework_r33", "tech", "tech", 0.7, False),
        ("aquarium_column", "spun", "fishtank_r33", "aquarium", "aquarium", 0.65, False),
        ("mixed_double", "spun", "churn_r33+docrework_r33", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "churn_r33+fishtank_r33", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round34": [
        ("news_rerun", "spun", "rerun_r34", "news", "news", 0.55, False),
        ("tech_docrevise", "spun", "docrevise_r34", "tech", "tech", 0.7, False),
        ("beekeeping_column", "spun", "apiary_r34", "beekeeping", "bees", 0.65, False),
        ("mixed_double", "spun", "rerun_r34+docrevise_r34", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "rerun_r34+apiary_r34", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round35": [
        ("news_redo", "spun", "redo_r35", "news", "news", 0.55, False),
        ("tech_docrephrase", "spun", "docrephrase_r35", "tech", "tech", 0.7, False),
        ("camping_column", "spun", "campfire_r35", "camping", "camping", 0.65, False),
        ("mixed_double", "spun", "redo_r35+docrephrase_r35", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "redo_r35+campfire_r35", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round36": [
        ("news_reissue", "spun", "reissue_r36", "news", "news", 0.55, False),
        ("tech_docreshape", "spun", "docreshape_r36", "tech", "tech", 0.7, False),
        ("running_column", "spun", "stride_r36", "running", "running", 0.65, False),
        ("mixed_double", "spun", "reissue_r36+docreshape_r36", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "reissue_r36+stride_r36", "mixed", "light", 1.0, True),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round37": [
        ("news_recopy", "spun", "recopy_r37", "news", "news", 0.55, False),
        ("tech_docrecraft", "spun", "docrecraft_r37", "tech", "tech", 0.7, False),
        ("cooking_column", "spun", "wok_r37", "cooking", "cooking", 0.65, False),
        ("mixed_double", "spun", "recopy_r37+docrecraft_r37", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "recopy_r37+wok_r37", "mixed", "light", 1.0, True),
        ("short_spun", "spun", "recopy_r37+docrecraft_r37+wok_r37", "social", "short_spun", 0.8, False),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
    "round38": [
        ("news_rewire", "spun", "rewire_r38", "news", "news", 0.55, False),
        ("tech_docrevamp", "spun", "docrevamp_r38", "tech", "tech", 0.7, False),
        ("knitting_column", "spun", "purl_r38", "knitting", "knitting", 0.65, False),
        ("mixed_double", "spun", "rewire_r38+docrevamp_r38", "mixed", "double", 0.55, False),
        ("light_mixed", "spun", "rewire_r38+purl_r38", "mixed", "light", 1.0, True),
        ("short_spun", "spun", "rewire_r38+docrevamp_r38+purl_r38", "social", "short_spun", 0.8, False),
        ("clean_short", "clean", None, "social", "clean_short", None, False),
        ("clean_long", "clean", None, "mixed", "clean_long", None, False),
    ],
}

KNOWN_FORMS = "年夜 正在 开展 事情 对峙 不雅 周全 效劳 标的 或许 可以 大夫 小我 经过 设置 取得 去年 天地 下降 皆 步调 运转 默许 装置 保举 体系 法式 而后 复杂".split()

# share of a round's pairs that may occur in an earlier round (MAX_OVERLAP_DEFAULT from round 4 on)
MAX_OVERLAP = {"round2": 0.2, "round3": 0.1}
MAX_OVERLAP_DEFAULT = 0.03

LENGTHS = {  # text file -> (min, max) characters per line
    "news": (60, 200), "tech": (60, 200), "social": (15, 120), "reviews": (60, 200), "double": (30, 200),
    "light": (15, 200), "clean_short": (8, 40), "clean_long": (150, 400),
    "health": (60, 200), "sports": (60, 200), "realty": (60, 200), "finance": (60, 200), "travel": (60, 200),
    "education": (60, 200), "auto": (60, 200), "notice": (60, 200), "pets": (60, 200), "farm": (60, 200),
    "care": (60, 200), "museum": (60, 200), "legal": (60, 200), "parenting": (60, 200),
    "insurance": (60, 200), "career": (60, 200), "fishing": (60, 200), "renovation": (60, 200),
    "garden": (60, 200), "astro": (60, 200), "weiqi": (60, 200), "tea": (60, 200),
    "birding": (60, 200), "calligraphy": (60, 200), "baking": (60, 200),
    "photo": (60, 200), "cycling": (60, 200), "aquarium": (60, 200),
    "bees": (60, 200), "camping": (60, 200), "running": (60, 200),
    "cooking": (60, 200), "short_spun": (15, 45), "knitting": (60, 200),
}


def load_table(path):
    table, header = {}, None
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if raw.startswith("#"):
            header = header or raw
            continue
        if not raw.strip():
            continue
        parts = raw.split("\t")
        if len(parts) != 2 or not parts[0] or not parts[1] or parts[0] == parts[1]:
            raise SystemExit(f"{path}:{n}: bad entry {raw!r}")
        if parts[0] in table:
            raise SystemExit(f"{path}:{n}: duplicate key {parts[0]!r}")
        table[parts[0]] = parts[1]
    if header is None:
        raise SystemExit(f"{path}: missing '#' header line")
    return table


def read_lines(path):
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        raise SystemExit(f"{path}: BOM")
    lines = data.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, 1):
        if not line.strip() or line != line.strip() or "⟦" in line or "⟧" in line or "\t" in line:
            raise SystemExit(f"{path}:{n}: blank line, edge whitespace, tab or ⟦⟧ mark")
    return lines


def matches(line, table, maxlen):
    """Greedy left-to-right longest matches: list of (start, key)."""
    out, i = [], 0
    while i < len(line):
        for n in range(min(maxlen, len(line) - i), 0, -1):
            if line[i:i + n] in table:
                out.append((i, line[i:i + n]))
                i += n
                break
        else:
            i += 1
    return out


def apply(line, table, chosen):
    parts, last = [], 0
    for start, key in chosen:
        parts.append(line[last:start])
        parts.append(table[key])
        last = start + len(key)
    parts.append(line[last:])
    return "".join(parts)


def spin_line(line, table, maxlen, rate, light, rng):
    occ = matches(line, table, maxlen)
    if light:
        if not occ:
            return None, 0
        k = min(len(occ), rng.choice((1, 2)))
        chosen = sorted(rng.sample(occ, k))
        return apply(line, table, chosen), k
    chosen = [o for o in occ if rng.random() < rate]
    if len(chosen) < 3:
        chosen = occ
    return apply(line, table, chosen), len(chosen)


def build(round_name, write):
    rdir = HERE / round_name
    tables = {p.stem: load_table(p) for p in sorted((rdir / "tables").glob("*.tsv"))}
    sets, problems, report = [], [], []
    for name, kind, family, register, text, rate, light in ROUNDS[round_name]:
        orig_path = rdir / "texts" / f"{text}.txt"
        lines = read_lines(orig_path)
        lo, hi = LENGTHS[text]
        for n, line in enumerate(lines, 1):
            if not lo <= len(line) <= hi:
                problems.append(f"{orig_path.name}:{n}: length {len(line)} not in {lo}-{hi}")
        if len(set(lines)) != len(lines):
            problems.append(f"{orig_path.name}: duplicate lines")
        entry = {"name": name, "kind": kind}
        if kind == "clean":
            # every clean line must contain a form that some spinner of this round produces
            # (a spun value of any table, or one of the well-known forms below), used correctly
            values = {v for tab in tables.values() for v in tab.values()} | set(KNOWN_FORMS)
            multi = {v for v in values if len(v) >= 2}
            for n, line in enumerate(lines, 1):
                if not any(v in line for v in values):
                    problems.append(f"{orig_path.name}:{n}: no spun-looking form")
            strong = sum(any(v in line for v in multi) for line in lines)
            report.append(f"{round_name}/{name}: {strong} of {len(lines)} lines hold a spun form of 2+ characters")
            entry.update({"family": None, "register": register, "orig": f"texts/{text}.txt",
                          "lines": len(lines)})
            sets.append(entry)
            report.append(f"{round_name}/{name}: {len(lines)} clean lines")
            continue
        table = {}
        for fam in family.split("+"):
            for k, v in tables[fam].items():
                table.setdefault(k, v)
        maxlen = max(map(len, table))
        spun, total = [], 0
        for n, line in enumerate(lines, 1):
            rng = random.Random(f"{round_name}:{name}:{n}")
            out, count = spin_line(line, table, maxlen, rate, light, rng)
            if out is None or out == line:
                problems.append(f"{name}:{n}: line unchanged")
                out = line
            if (light and not 1 <= count <= 2) or (not light and count < 3):
                problems.append(f"{name}:{n}: {count} substitutions")
            total += count
            spun.append(out)
        spun_path = rdir / "spun" / f"{name}.txt"
        text_out = "\n".join(spun) + "\n"
        if write:
            spun_path.parent.mkdir(exist_ok=True)
            spun_path.write_text(text_out, encoding="utf-8")
        elif not spun_path.exists() or spun_path.read_text(encoding="utf-8") != text_out:
            problems.append(f"{spun_path} differs from a rebuild")
        entry.update({"family": family, "register": register, "spun": f"spun/{name}.txt",
                      "orig": f"texts/{text}.txt", "lines": len(lines),
                      "substitutions": total, "rate": rate})
        if light:
            entry["light"] = True
        sets.append(entry)
        report.append(f"{round_name}/{name}: {len(lines)} lines, {total} substitutions, family {family}")
    manifest = {"round": round_name,
                "families": {k: {"pairs": len(v), "table": f"tables/{k}.tsv"} for k, v in tables.items()},
                "sets": sets}
    mtext = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    mpath = rdir / "manifest.json"
    if write:
        mpath.write_text(mtext, encoding="utf-8")
    elif not mpath.exists() or mpath.read_text(encoding="utf-8") != mtext:
        problems.append(f"{mpath} differs from a rebuild")
    for k, v in tables.items():
        report.append(f"{round_name}/tables/{k}.tsv: {len(v)} pairs")
    return tables, problems, report


def main():
    write = "--check" not in sys.argv
    all_tables, problems = {}, []
    for r in ROUNDS:
        if not (HERE / r / "texts" / "news.txt").exists():
            continue
        tables, probs, report = build(r, write)
        all_tables[r] = tables
        problems += probs
        print("\n".join(report))
    pairs = {r: {kv for t in tabs.values() for kv in t.items()} for r, tabs in all_tables.items()}
    names = list(pairs)
    for j, later in enumerate(names):
        for earlier in names[:j]:
            a, b = pairs[earlier], pairs[later]
            print(f"pairs shared by {earlier} and {later}: {len(a & b)} of {len(b)} ({len(a & b) / len(b):.1%})")
            if len(a & b) > MAX_OVERLAP.get(later, MAX_OVERLAP_DEFAULT) * len(b):
                problems.append(f"{later} tables overlap {earlier} by more than {MAX_OVERLAP.get(later, MAX_OVERLAP_DEFAULT):.0%}")
    for p in problems:
        print("PROBLEM:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
