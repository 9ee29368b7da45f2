"""Build ``service/data/samples/``: demo posts and benchmark texts (run ``python -m service.build.samples_build``).

All sentences below were written for this project by the Qingliu team (no third-party text); the
corrupted variants are generated from them deterministically, so the output is reproducible.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "samples"

#: Hand-written clean sentences (news-feed style, varied topics and places).
CLEAN = [
    "广州市今天召开全市重点项目建设推进大会，部署下半年工作。",
    "深圳地铁十六号线二期工程完成主体结构施工，预计明年通车。",
    "杭州西湖景区国庆假期接待游客超过三百万人次，交通总体平稳。",
    "成都市发布暴雨橙色预警，提醒市民注意出行安全。",
    "北京市教委表示，今年秋季学期将继续推进课后服务全覆盖。",
    "上海浦东新区新增一批人工智能企业，产业集聚效应逐步显现。",
    "武汉长江大桥完成年度检修，大桥恢复正常通行。",
    "西安一家医院开通远程会诊平台，为基层患者提供专家服务。",
    "南京市加强食品安全监管，对校园周边餐饮店开展专项检查。",
    "重庆火锅节吸引大量外地游客，带动了当地餐饮消费。",
    "郑州一家新能源汽车工厂正式投产，年产能达到二十万辆。",
    "长沙市推出人才安居政策，高校毕业生可申请租房补贴。",
    "青岛港集装箱吞吐量同比增长百分之八，外贸形势稳中向好。",
    "昆明市举办花卉博览会，来自各地的花农展示了新品种。",
    "哈尔滨冰雪大世界开始建设，预计十二月底对外开放。",
    "厦门市开展海岸线清洁行动，志愿者清理海滩垃圾两吨。",
    "合肥市量子科技产业园签约十个项目，总投资超过百亿元。",
    "天津市加快推进老旧小区改造，提高居民生活质量。",
    "苏州工业园区举办招聘会，为求职者提供五千多个岗位。",
    "贵阳大数据产业博览会开幕，多家企业发布最新产品。",
    "这个项目的关键在于提高服务水平，推动经济高质量发展。",
    "我们要把安全生产放在重要位置，全面加强风险排查。",
    "市政府明确了下一步的发展方向，重点支持制造业升级。",
    "在各方共同努力下，工程建设进度明显加快。",
    "专家认为，加强基础研究是提高创新能力的关键。",
    "当地政府积极推动乡村振兴，帮助农民增加收入。",
    "会议强调，要切实解决群众反映强烈的突出问题。",
    "这次活动得到了社会各界的广泛关注和大力支持。",
    "公司负责人表示，将继续加大研发投入，提高产品质量。",
    "为了保障供电安全，电力部门在高温期间加强巡检。",
]

#: Substitutions a spinning tool makes (word → "synonym"), written for this project.
SPIN = [
    ("服务", "效劳"), ("发展", "开展"), ("提高", "进步"), ("推动", "鞭策"), ("工作", "事情"),
    ("全面", "周全"), ("大会", "年夜会"), ("安全", "平安"), ("加强", "增强"), ("问题", "成绩"),
    ("关键", "枢纽"), ("方向", "标的目的"), ("生产", "消费"), ("重要", "主要"), ("建设", "扶植"),
    ("这", "那"), ("在", "正在"), ("支持", "撑持"), ("解决", "办理"), ("质量", "量量"),
    ("明显", "较着"), ("努力", "尽力"), ("突出", "凸起"), ("大力", "年夜力"), ("增加", "删加"),
]

#: Look-alike characters used to dodge keyword filters (all map back to the clean character).
HOMOGLYPHS = {"人": "\u2f08", "大": "\u2f24", "工": "\u2f2f", "金": "\u2fa6", "日": "\u2f47"}


def spin(text: str) -> str:
    """Apply the spinner's substitutions."""
    for before, after in SPIN:
        text = text.replace(before, after)
    return text


def mojibake_gbk(text: str) -> str:
    """UTF-8 bytes mis-read as GBK (the classic 浣犲ソ damage); undecodable bytes dropped."""
    return text.encode("utf-8").decode("gbk", errors="ignore")


def mojibake_latin1(text: str) -> str:
    """UTF-8 bytes mis-read as Windows-1252 (è¿™æ ·)."""
    return text.encode("utf-8").decode("cp1252", errors="replace")


def obfuscate(text: str) -> str:
    """Zero-width spaces between characters, full-width digits, radical look-alikes."""
    out = "\u200b".join(text[:8]) + text[8:]
    out = out.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for clean, fake in HOMOGLYPHS.items():
        out = out.replace(clean, fake)
    return out


def _post(pid: str, text: str, kind: str, **extra: object) -> bytes:
    post = {"id": pid, "text": text, "source": "demo", "author": f"user{int(pid[-2:]) % 7}",
            "lang": "zh", "ts": 1767225600 + int(pid[-2:]) * 60, "meta": {"sample": kind}}
    post.update(extra)
    return json.dumps(post, ensure_ascii=False).encode("utf-8")


def demo_posts() -> list[bytes]:
    """Raw posts for ``qingliu dev --demo``: clean, spun, mojibake, obfuscated and bad inputs."""
    lines: list[bytes] = []
    n = 0

    def next_id() -> str:
        nonlocal n
        n += 1
        return f"demo-{n:02d}"

    for text in CLEAN[:8]:
        lines.append(_post(next_id(), text, "clean"))
    for text in CLEAN[20:26]:
        lines.append(_post(next_id(), spin(text), "spun"))
    for text in CLEAN[8:11]:
        lines.append(_post(next_id(), mojibake_gbk(text), "mojibake"))
    lines.append(_post(next_id(), mojibake_latin1(CLEAN[11]), "mojibake"))
    for text in CLEAN[12:15]:
        lines.append(_post(next_id(), obfuscate(text), "obfuscated"))
    # A post in a legacy codec (GBK bytes, not UTF-8): decoded, not rejected.
    pid = next_id()
    lines.append(json.dumps({"id": pid, "text": CLEAN[15], "source": "demo", "meta": {"sample": "gbk-bytes"}},
                            ensure_ascii=False).encode("gbk"))
    # Bad inputs: each becomes a dead-letter record with its code.
    lines.append(b'{"id": "demo-bad-1", "text": "unterminated')  # not_json
    lines.append(b'["demo-bad-2", "an array, not an object"]')  # not_object
    lines.append(b'{"id": "demo-bad-3", "source": "demo"}')  # missing_field
    lines.append(b'{"id": 4, "text": "id is a number"}')  # wrong_type
    lines.append(b'{"id": "demo-bad-5", "text": "   "}')  # empty_text
    return lines


def bench_texts() -> list[str]:
    """Mixed spun and clean lines for ``qingliu bench repair``/``tag``."""
    out: list[str] = []
    for i, text in enumerate(CLEAN):
        out.append(spin(text) if i % 2 else text)
    return out


def main() -> None:
    """Write the sample files."""
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "demo-posts.jsonl").write_bytes(b"\n".join(demo_posts()) + b"\n")
    (OUT / "bench-texts.txt").write_text("\n".join(bench_texts()) + "\n", encoding="utf-8")
    (OUT / "clean-texts.txt").write_text("\n".join(CLEAN) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
