"""Place tags: Chinese administrative divisions found in a text, resolved up the hierarchy.

Surface forms (full names such as 端州区/广西壮族自治区 and short forms such as 端州/广西, built
from cpca's adcode table by ``service.build.tagging_places``) are found with one Aho-Corasick pass,
longest match first.  A match is kept when it stands as a word of its own: short forms are checked
against a local jieba segmentation (so 中山大学, 孙中山 and 大江门口 yield nothing) and against
street/institution suffixes (中山路); a two-character short form right after a surname of its own
is a person's name (李江门和王朝阳是同学), and 朝阳 alone is an ordinary word (朝阳气息) unless its
parent place is named.  Names shared by several divisions (鼓楼区) are resolved by
the other places in the text and dropped when they stay ambiguous.

``mentions`` is the number of times a division is named; the surface strings and offsets are in
the evidence.
"""

from __future__ import annotations

import importlib.resources
import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

import ahocorasick

LEVELS = ("province", "city", "county")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}
# After a short form these make it part of a street, an institution or an object, not a place.
_BLOCK_AFTER = (
    "路",
    "街",
    "大道",
    "大街",
    "巷",
    "大学",
    "学院",
    "中学",
    "小学",
    "医院",
    "公园",
    "陵",
    "装",
    "舰",
    "号",
    "牌",
    "站长",
    "先生",
    "女士",
    "同志",
    "舰",
    "纪念",
    "银行",
    "证券",
    "集团",
    "控股",
    "股份",
    "有限",
    "卫视",
    "日报",
    "晚报",
    "队",
    "FC",
    "泡菜",
    "拉面",
    "米粉",
    "话",
    "新区",
    "时代",
    "之滨",
    "湖畔",
    "合作组织",
    "协定",
    "公约",
    "宣言",
)
# A short form right after one of these, or after a surname that follows one of these (or that
# is followed by a speech verb), is a person's name: 主教练许昌, 经纪人刘安阳告诉记者.
_TITLES = (
    "记者",
    "教练",
    "经纪人",
    "老师",
    "教授",
    "医生",
    "书记",
    "主任",
    "校长",
    "院长",
    "局长",
    "经理",
    "总监",
    "董事长",
    "总经理",
    "网友",
    "队长",
    "球员",
    "选手",
    "演员",
    "导演",
    "歌手",
    "作家",
    "律师",
    "警官",
    "民警",
    "主持人",
    "负责人",
    "工程师",
    "研究员",
    "专家",
    "同学",
    "博主",
    "通讯员",
    "市民",
    "村民",
    "居民",
    "摄",
    "编辑",
    "作者",
    "店主",
    "老板",
    "创始人",
    "嫌疑人",
    "患者",
)
_PERSON_AFTER = (
    "告诉",
    "表示",
    "说",
    "称",
    "介绍",
    "认为",
    "指出",
    "透露",
    "坦言",
    "回忆",
    "笑着",
    "先生",
    "女士",
    "老师",
    "教授",
    "同学",
    "博士",
    "医生",
    "同志",
    "赛后",
    "摄",
    "报道",
    "等人",
    "一家",
)
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤"
)
# Surnames that are also common function words (落户于, 向肇庆运送, 曾, 3万余…): a short form after
# one of them is a person's name only when the surname follows a boundary or 和/与/叫… and the
# name is followed by what ends a name (和, 是, a comma…).
_FUNCTION_SURNAMES = frozenset("于向曾万余莫白任高何方付")
_NAME_INTRO = frozenset("和与跟及同叫是给让请找被把由对向")
_NAME_END = ("和", "与", "跟", "及", "是", "，", "、", ",", "都", "也", "等", "今年", "出生")
# Short forms that are ordinary words (朝阳气息, 朝阳产业): named only with their parent place
# nearby, or written in full (朝阳市).  Mirror of PREFECTURE_SHORT_STOP in the build script.
_WORD_SHORTS = frozenset({"朝阳"})
_WINDOW = 5
_FULL, _SHORT, _WEAK = 0, 1, 2  # how a surface names a division; weak ones need their city named
_LOCK = threading.Lock()
_MUNICIPALITIES = ("11", "12", "31", "50")


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division from the shipped table."""

    adcode: str
    name: str
    level: str
    province: str
    city: str


@dataclass(frozen=True, slots=True)
class _Index:
    divisions: dict[str, Division]
    automaton: ahocorasick.Automaton
    full_names: frozenset[str]


@cache
def _index() -> _Index:
    text = (
        importlib.resources.files("service.data.tagging").joinpath("places.tsv").read_text("utf-8")
    )
    divisions: dict[str, Division] = {}
    surfaces: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        code, name, level, province, city, shorts, weak, is_word = line.split("\t")
        divisions[code] = Division(code, name, level, province, city)
        surfaces[name].append((code, _WEAK if is_word else _FULL))
        for short in filter(None, shorts.split(",")):
            surfaces[short].append((code, _WEAK if short in _WORD_SHORTS else _SHORT))
        for short in filter(None, weak.split(",")):
            surfaces[short].append((code, _WEAK))
    automaton = ahocorasick.Automaton()
    for surface, entries in surfaces.items():
        automaton.add_word(surface, (surface, tuple(entries)))
    automaton.make_automaton()
    # Names with a division suffix (full names, and 延边州/连山县) need no word-boundary check.
    full = frozenset(d.name for d in divisions.values()) | frozenset(
        s for s in surfaces if len(s) >= 3 and s.endswith(("州", "县", "旗"))
    )
    return _Index(divisions, automaton, full)


@cache
def _tokenizer():
    """A private jieba tokenizer that knows every division name (for the word-boundary check)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    index = _index()
    names = {d.name for d in index.divisions.values()}
    for key in index.automaton.keys():
        names.add(key)
    for name in names:
        if tok.FREQ.get(name, 0) < 200:
            tok.add_word(name, freq=200)
    return tok


def _composite(word: str) -> bool:
    """Whether ``word`` is a run of place names (jieba knows words such as 山西大同)."""
    position = 0
    for stop, (surface, _) in _index().automaton.iter_long(word):
        if stop - len(surface) + 1 != position:
            return False
        position = stop + 1
    return position == len(word)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _stands_alone(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a word of its own in a local jieba segmentation."""
    if (start == 0 or not _is_cjk(text[start - 1])) and (
        end == len(text) or not _is_cjk(text[end])
    ):
        return True
    lo = max(0, start - _WINDOW)
    window = text[lo : min(len(text), end + _WINDOW)]
    route: dict = {}
    with _LOCK:
        tok = _tokenizer()
        tok.calc(window, tok.get_DAG(window), route)
    position = 0
    while position < len(window):
        stop = route[position][1] + 1
        if stop + lo > start:
            if stop + lo < end:
                return False
            if position + lo == start and stop + lo == end:
                return True
            word = window[position:stop]
            return word in _index().full_names or _composite(word)
        position = stop
    return False


def _surname_at(text: str, at: int, end: int) -> bool:
    """Whether ``text[at]`` is a surname of its own (not the tail of 位于, 江苏, 吉林…) that starts
    the name ending at ``end``."""
    if text[at] not in _SURNAMES:
        return False
    with _LOCK:
        freq = _tokenizer().FREQ
    if any(freq.get(text[at - n : at + 1], 0) > 0 for n in range(1, 4) if at - n >= 0):
        return False
    if text[at] in _FUNCTION_SURNAMES:
        bounded = at == 0 or not _is_cjk(text[at - 1]) or text[at - 1] in _NAME_INTRO
        return bounded and text[end : end + 2].startswith(_NAME_END)
    return True


def _person(text: str, start: int, end: int) -> bool:
    """Whether the name at ``start:end`` is (part of) a person's name.

    A short form after a title (主教练许昌), or after a surname that follows a title or is
    followed by a speech verb (经纪人刘安阳告诉) is a name; so is a two-character short form
    right after a surname of its own (李江门和王朝阳是同学): the full name (江门市) is not.
    """
    before = text[max(0, start - 4) : start]
    if before.endswith(_TITLES):
        return True
    if before[-1:] in _SURNAMES:
        if before[:-1].endswith(_TITLES) or text[end : end + 2].startswith(_PERSON_AFTER):
            return True
        return end - start == 2 and _surname_at(text, start - 1, end)
    return False


def _accept(text: str, start: int, end: int, surface: str, full: bool) -> bool:
    after = text[end : end + 4]
    if not full and (after.startswith(_BLOCK_AFTER) or _person(text, start, end)):
        return False
    if full and surface.endswith("市") and after[:1] == "场":  # 中山市场 → 中山 + 市场
        return False
    if full and len(surface) >= 3:
        return True
    return _stands_alone(text, start, end)


def _city_name(d: Division, divisions: dict[str, Division]) -> str | None:
    if d.city:
        return divisions[d.city].name
    if d.level == "county" and d.province[:2] in _MUNICIPALITIES:
        return divisions[d.province].name
    return None


def _parent_in(d: Division, context: set[str]) -> bool:
    parent = d.city if d.level == "county" and d.city else d.province
    return parent in context


def find(text: str) -> tuple[list[dict], dict[str, list]]:
    """Places named in ``text`` and, per adcode, the surface strings with their offsets."""
    index = _index()
    divisions = index.divisions
    matches: list[tuple[int, int, str, tuple]] = []
    for stop, (surface, entries) in index.automaton.iter_long(text):
        start = stop - len(surface) + 1
        full = surface in index.full_names
        if _accept(text, start, stop + 1, surface, full):
            matches.append((start, stop + 1, surface, entries))
        elif full and surface.endswith("市") and len(surface) > 2:
            short = surface[:-1]
            found = index.automaton.get(short, None)
            if found and _accept(text, start, stop, short, False):
                matches.append((start, stop, short, found[1]))
    # Unambiguous matches first: they are the context for the ambiguous ones.
    resolved: list[tuple[int, int, str, str]] = []
    pending: list[tuple[int, int, str, list[str], list[str]]] = []
    for start, stop, surface, entries in matches:
        codes = [code for code, kind in entries if kind == _FULL]
        codes = codes or [code for code, kind in entries if kind == _SHORT]
        weak = [code for code, kind in entries if kind == _WEAK]
        if len({divisions[c].level for c in codes}) > 1:
            top = min(_RANK[divisions[c].level] for c in codes)
            codes = [c for c in codes if _RANK[divisions[c].level] == top]
        if len(codes) == 1 and not weak:
            resolved.append((start, stop, surface, codes[0]))
        else:
            pending.append((start, stop, surface, codes, weak))
    context: dict[str, list[int]] = defaultdict(list)  # division → where it (or a child) is named

    def note(code: str, at: int) -> None:
        d = divisions[code]
        for c in {code, d.province, d.city} - {""}:
            context[c].append(at)

    def nearest(codes: list[str], at: int) -> list[str]:
        """The candidates whose city (or province) is named closest to ``at``."""

        def distance(code: str) -> int:
            d = divisions[code]
            spots = context.get(d.city, []) or context.get(d.province, [])
            return min(abs(at - spot) for spot in spots)

        ranked = sorted(codes, key=distance)
        return ranked[:1] if distance(ranked[0]) < distance(ranked[1]) else ranked

    def fits(code: str) -> bool:
        d = divisions[code]
        return d.city in context or (d.level != "province" and d.province in context)

    for start, *_, code in resolved:
        note(code, start)
    # Resolve the ambiguous ones by the context, repeatedly (each resolution adds context); when
    # nothing moves, names with a single strong reading take it, and the loop goes on.
    while pending:
        left = []
        for item in pending:
            start, stop, surface, codes, weak = item
            choice = [c for c in weak if _parent_in(divisions[c], context)]
            if len(choice) != 1:
                choice = [c for c in codes if fits(c)]
                if len(choice) > 1:
                    choice = [c for c in choice if divisions[c].city in context] or choice
                if len(choice) > 1:
                    choice = nearest(choice, start)
            if len(choice) == 1:
                resolved.append((start, stop, surface, choice[0]))
                note(choice[0], start)
            else:
                left.append(item)
        if len(left) == len(pending):
            single = [item for item in left if len(item[3]) == 1]
            if not single:
                break
            for start, stop, surface, codes, _ in single:
                resolved.append((start, stop, surface, codes[0]))
                note(codes[0], start)
            left = [item for item in left if len(item[3]) != 1]
        pending = left
    evidence: dict[str, list] = defaultdict(list)
    for start, stop, surface, code in sorted(resolved):
        evidence[code].append([surface, start, stop])
    places = []
    for code, spans in evidence.items():
        d = divisions[code]
        places.append(
            {
                "name": d.name,
                "level": d.level,
                "province": divisions[d.province].name,
                "city": _city_name(d, divisions),
                "county": d.name if d.level == "county" else None,
                "adcode": code,
                "mentions": len(spans),
            }
        )
    places.sort(key=lambda p: (-p["mentions"], evidence[p["adcode"]][0][1]))
    return places, dict(evidence)
