"""Build ``service/data/tagging/places.tsv`` from the adcode table that ships with cpca.

Run: ``python -m service.build.tagging_places``.  Inputs (build time only): cpca's
``resources/adcodes.csv`` and ``resources/56_nations.csv`` (MIT) and jieba's ``dict.txt`` (MIT),
used only to decide which county-level short forms are ordinary words.  See PROVENANCE.md.
"""

from __future__ import annotations

import csv
import importlib.resources
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "tagging" / "places.tsv"

# Pseudo-divisions in the table that are not places.
_SKIP_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
# County short forms that are ordinary words or better known as something else, beyond what
# jieba's dictionary already flags.
COUNTY_SHORT_STOP = set(
    "东方 和平 长安 城关 江山 新华 白云 城中 城东 城西 城南 城北 市中 向阳 红旗 胜利 新城 平安 永安 "
    "安定 太平 清河 光明 宝山 金山 南山 北山 东山 西山 青山 松山 合作 公安 资源 方正 大方 通道 "
    "共和 武功 长寿 兴业 大同 龙井 阳春 华容 民主 永久 新民 兴安 普陀 西湖 江南 江北 河东 河西 "
    "开发 高新 铁西 铁东 中原 中山 龙华 福田 永和 吉利 白沙 东安 西安 安宁 宁安 和顺 长顺 团风 "
    "海城 文山 东至 南京 北京 上海 天津 大足 丰都 宁海 东海 南海 北海 海安 巴南 巴东 "
    "新兴 新会 高明 三水 顺德 东源 龙门 博罗 惠东 花都 番禺 增城 黄埔 荔湾 天河 越秀 海珠 "
    "仁和 红花 城厢 新市 新荣 城区 郊区 矿区 平山 青河 临江 江源 江海 白山 龙山 凤凰 石城 "
    "安化 安福 永丰 永福 永新 永兴 永康 永宁 永平 永善 永胜 延安 延长 长岭 长春 长沙 长宁 "
    "红星 红山 新乡 新建 新余 新化 新田 新宁 宁乡 宁远 宁都 宁化 宁明 明光 光山 光泽 "
    "建华 建安 建德 德化 德安 德惠 惠安 惠民 惠农 农安 安龙 龙南 龙胜 胜利 利津 津南 "
    "东风 东坡 东昌 昌平 平安 安远 远安 双桥 双城 双流 秀山 秀英 英山 山阳 阳山 阳明 "
    "雨花 花山 山亭 亭湖 湖里 里水 东港 东胜 胜利 普安 普定 定安 安仁 仁化 化德 德保 保山 "
    "江城 城步 北关 南关 东关 西关 盐田 罗湖 宝安 龙岗 坪山 光明 鼓楼 台江 仓山 晋安 马尾 "
    "和田 海南 海北 海东 海西 吉林 朝阳 万州 万年 万安 全南 全椒 椒江 大安 大通 通州 "
    "江北 钟山 沙市 沙河 沙坪 河北 河南 山东 山西 湖南 湖北 广东 广西 江西 江苏 "
    "桥东 桥西 路南 路北 站前 西市 海港 回民 小店 龙潭 大东 二道 新兴 东河 西岗 立山 东洲 "
    "望花 海州 银州 双塔 龙港 长白 宁江 平房 铁锋 前进 向阳 东风 中原 二七 金水 上街 "
    "解放 山城 红岗 让胡路 新华 友好 五营 新青 美溪 金山屯 乌马河 带岭 兴山 工农 南山 "
    "向阳 东山 爱民 西安 阳明 站前 白塔 文圣 宏伟 弓长岭 太子河 振兴 元宝 振安 凌河 太和 "
    "古塔 细河 清河门 新邱 太平 海南 城区 郊区 平安 安居 华龙 吉利 老城 新市 先锋 "
    "太湖 洪泽 天台 衡山 庐山 泰山 崂山 比如 五台 天柱 武夷山 井冈山 峨眉山 "
    "金沙 红塔 盘龙 官渡 香格里拉 石龙 东明 嘉禾 玉泉 龙凤 尼玛 同仁 同德 白朗 白玉 云岩 安平 "
    "余庆 崇信 金塔 甘德 康乐 安达 依安 宝兴 乐安 崇仁 金明 卫东 钟楼 明山 铁山 玉龙 鱼峰 连云 "
    "惠济 金东 雨山 东宝 嘉鱼 岳阳楼 梁子湖 海晏 石屏 罗平 马龙 红寺堡 凤山 乐平 高平 安义 永修 "
    "平鲁 平顺 万全 安新 玉田 元宝山 宝塔 宁强 天峨 文成 达日 富平 白水 静乐 柳林 科尔沁 黄山".split()
)
# Prefecture/province short forms that are too ambiguous as words (the full form still counts).
PREFECTURE_SHORT_STOP = {
    "阿里",
    "兴安",
    "安康",
    "大同",
    "白银",
    "玉树",
    "吉安",
    "三明",
    "长治",
    "日照",
    "来宾",
    "中卫",
    "攀枝花",
    "红河",
    "怒江",
    "黑河",
    "河源",
    "黄山",
    "广安",
}
# Full names that are ordinary words too: they count only where their city is named as well.
FULL_WEAK = set(
    "老城区 新城区 城区 郊区 矿区 市中区 市南区 市北区 解放区 新市区 城中区 城东区 城西区 城北区 "
    "城南区 港口区 运河区 工农区 前进区 向阳区 红旗区 新华区 新兴区 友好区 宏伟区 复兴区 振兴区 "
    "光明区 和平区 胜利区 比如县 安居区 城关区 江北区 江南区 河东区 河西区 海港区 站前区 长安区 "
    "高新区 新区 东区 西区 南区 北区 中区 东方市 合作市 开平区 桥东区 桥西区 路南区 路北区 "
    "铁东区 铁西区 西市区 大东区 东河区 西岗区 立山区 平安区 吉利区 先锋区 永安市 太平区".split()
)
_COUNTY_SUFFIXES = ("自治县", "自治旗", "林区", "特区", "县", "区", "市", "旗")
_NO_SHORT_ENDINGS = ("新区", "开发区", "矿区", "城区", "郊区", "管理区", "特区")


def _nations() -> list[str]:
    res = importlib.resources.files("cpca.resources")
    names = [line.strip() for line in res.joinpath("56_nations.csv").read_text("utf-8").split()]
    forms = {n for n in names if n}
    forms |= {n[:-1] for n in forms if n.endswith("族") and len(n) > 2}  # 维吾尔族 → 维吾尔
    return sorted(forms, key=len, reverse=True)


def _strip_nations(name: str, nations: list[str]) -> str:
    changed = True
    while changed:
        changed = False
        for nation in nations:
            if name.endswith(nation) and len(name) - len(nation) >= 2:
                name = name[: -len(nation)]
                changed = True
                break
    return name


def _jieba_words() -> dict[str, tuple[int, str]]:
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    words: dict[str, tuple[int, str]] = {}
    for line in path.read_text("utf-8").splitlines():
        parts = line.split(" ")
        if len(parts) == 3:
            words[parts[0]] = (int(parts[1]), parts[2])
    return words


def _common(short: str, words: dict, ns_limit: int = 2000) -> bool:
    """Whether jieba's dictionary says ``short`` is mostly an ordinary word or a person name."""
    freq, pos = words.get(short, (0, ""))
    return (
        (pos.startswith("ns") and freq > ns_limit)
        or (not pos.startswith("ns") and freq > 300)
        or (pos.startswith("nr") and freq > 300)
    )


def short_forms(
    name: str, level: str, nations: list[str], words: dict
) -> tuple[list[str], list[str]]:
    """Short forms of a division name (without 省/市/自治区/县/区 and ethnic designations).

    Returns (strong, weak): weak forms are ordinary words too and count only where the text also
    names the division's city (or province).
    """
    forms: list[str] = []
    weak: list[str] = []
    if level == "province":
        for suffix in ("特别行政区", "自治区", "省", "市"):
            if name.endswith(suffix):
                forms.append(_strip_nations(name[: -len(suffix)], nations))
                break
    elif level == "city":
        for suffix in ("自治州", "地区", "市", "盟"):
            if name.endswith(suffix):
                short = _strip_nations(name[: -len(suffix)], nations)
                if suffix == "自治州" and len(short) >= 2:
                    forms.append(short + "州")  # 延边州
                if len(short) >= 2:
                    if short in PREFECTURE_SHORT_STOP:
                        weak.append(short)
                    else:
                        forms.append(short)
                break
    else:
        if name.endswith(_NO_SHORT_ENDINGS):
            return [], []
        for suffix in _COUNTY_SUFFIXES:
            if name.endswith(suffix):
                short = _strip_nations(name[: -len(suffix)], nations)
                if len(short) < 2:
                    break
                if suffix in ("自治县", "自治旗"):
                    forms.append(short + suffix[-1])  # 连山县
                if short in COUNTY_SHORT_STOP or _common(short, words):
                    weak.append(short)
                else:
                    forms.append(short)
                break

    def keep(items: list[str]) -> list[str]:
        return [f for f in items if f and f != name and len(f) >= 2]

    return keep(forms), keep(weak)


def build() -> list[list[str]]:
    """Rows: adcode, name, level, province adcode, city adcode, short forms, weak short forms,
    and "1" where the full name is an ordinary word too (老城区)."""
    res = importlib.resources.files("cpca.resources")
    nations = _nations()
    words = _jieba_words()
    with res.joinpath("adcodes.csv").open("r", encoding="utf-8") as handle:
        records = [(r["adcode"][:6], r["name"]) for r in csv.DictReader(handle)]
    rows: dict[str, list[str]] = {}
    for code, name in sorted(records):
        if name in _SKIP_NAMES or "直辖" in name:
            continue
        if code.endswith("0000"):
            level, province, city = "province", code, ""
        elif code.endswith("00"):
            level, province, city = "city", code[:2] + "0000", code
        else:
            level, province = "county", code[:2] + "0000"
            city = code[:4] + "00"
            if code[2:4] == "90" or code[:2] in ("11", "12", "31", "50"):
                city = ""  # province-administered county, or a district of a municipality
        strong, weak = short_forms(name, level, nations, words)
        common = "1" if name in FULL_WEAK else ""
        rows[code] = [code, name, level, province, city, ",".join(strong), ",".join(weak), common]
    return list(rows.values())


def main() -> None:
    rows = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        handle.write(
            "# adcode\tname\tlevel\tprovince\tcity\tshort_forms\tweak_short_forms\tname_is_word  (built by "
            "service/build/tagging_places.py from cpca 0.5.5 adcodes.csv)\n"
        )
        for row in rows:
            handle.write("\t".join(row) + "\n")
    print(f"wrote {len(rows)} divisions to {OUT}")


if __name__ == "__main__":
    main()
