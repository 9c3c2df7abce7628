"""Content bugs of the bundled packs (issue 7): slots, moves, signals and variants.

Each test names the utterance that went wrong and what the pack should make of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coach import Coach

DATA = Path(__file__).resolve().parent.parent / "corpus" / "turns" / "self-negatives.yaml"
CHECKED = ("ready_to_buy", "complaint", "request_demo")


def _joined(slots) -> dict[str, str]:
    """Session slots as text (a multi-valued slot joined with 、)."""
    return {k: "、".join(v) if isinstance(v, (list, tuple)) else v for k, v in dict(slots).items()}


def slots_of(coach: Coach, text: str) -> dict[str, str]:
    s = coach.session()
    s.hear(text)
    return _joined(s.slots)


# --- 1. contact: 我姓王 → 王; a full name given after it wins ------------------------------


@pytest.mark.parametrize("text, name", [
    ("我姓王", "王"),
    ("我姓王，叫王建国", "王建国"),
    ("免贵姓欧阳", "欧阳"),
    ("我是王经理", "王经理"),
])
def test_contact_slot(coach, text, name):
    assert slots_of(coach, text).get("contact") == name


def test_contact_slot_ignores_a_verb_after_jiao(coach):
    assert "contact" not in slots_of(coach, "我叫不动他")


# --- 2. quantity: a count of people, units or seats, never a bare 一家 / 一个 -------------


@pytest.mark.parametrize("text", ["我们是一家小公司", "有一个问题", "我想问一个事情", "这是一家老店"])
def test_quantity_needs_people_or_units(coach, text):
    assert "quantity" not in slots_of(coach, text)


@pytest.mark.parametrize("text, value", [
    ("我们公司有三个区域的销售经理", "三个"),
    ("团队五十人", "五十"),
    ("我们有两家门店", "两家"),
    ("先买二十套", "二十套"),
])
def test_quantity_still_counts(coach, text, value):
    assert slots_of(coach, text).get("quantity") == value


# --- 3. pain: a price objection is not the customer's pain ------------------------------


@pytest.mark.parametrize("text", ["价格太高了", "你们报价太高了", "问题是太贵了", "困难是没钱", "学费偏高"])
def test_price_objection_is_not_pain(coach, text):
    assert "pain" not in slots_of(coach, text)


@pytest.mark.parametrize("text, pain", [
    ("成本太高了", "成本太高"),
    ("销售效率偏低", "销售效率偏低"),
    ("问题是信息不通畅", "信息不通畅"),
])
def test_real_pains_still_fill(coach, text, pain):
    assert pain in slots_of(coach, text).get("pain", "")


# --- industry: the customer's own trade, not the product on offer ----------------------


@pytest.mark.parametrize("text, industry", [
    ("我们是做家装的", "家装"),
    ("我们是做外贸的，干这行十几年了", "外贸"),
    ("这种销售培训，我们现在不需要", None),
    ("我们在银行贷了款", None),
])
def test_industry_slot(coach, text, industry):
    assert slots_of(coach, text).get("industry") == industry


# --- 4/5. moves: who/where questions are open; 演示 must be offered to be a demo ---------


@pytest.mark.parametrize("line", ["您团队里谁负责采购？", "您平时在哪办公？", "您是在哪个城市？", "哪位同事会用这个系统？"])
def test_who_where_questions_are_open(coach, line):
    f = coach.session().say(line)
    assert f.question_type == "open"
    assert "open_question" in f.moves


@pytest.mark.parametrize("line", ["这个演示表您填一下", "上次领导演示了一下怎么报销", "演示文稿里的表格您填好了吗"])
def test_demo_move_is_not_any_mention_of_yanshi(coach, line):
    assert "demo" not in coach.session().say(line).moves


@pytest.mark.parametrize("line", ["我给您演示一下", "我先把样例发给您看看", "我们约个时间给您现场演示", "您可以先试用一周", "我演示一下给您看"])
def test_demo_move_still_recognised(coach, line):
    assert "demo" in coach.session().say(line).moves


# --- 6. tricky negatives for ready_to_buy, complaint and request_demo --------------------


def _items() -> list[dict]:
    with open(DATA, encoding="utf-8") as fh:
        return yaml.safe_load(fh)["items"]


def test_negatives_file_has_enough_of_each():
    items = _items()
    for sid in CHECKED:
        neg = [it for it in items if sid not in it["labels"]]
        assert len(neg) >= 45
    # at least ~15 aimed at each signal (its section of the file)
    texts = {it["text"] for it in items}
    assert {"我还没准备好买", "不是投诉，就是想问一下进度", "不用演示了", "上次那个演示很差"} <= texts


@pytest.mark.parametrize("item", _items(), ids=lambda it: it["text"])
def test_tricky_signals(coach, item):
    got = set(coach.session().hear(item["text"]).signals) & set(CHECKED)
    assert got == set(item["labels"]) & set(CHECKED)


def test_old_demo_is_a_complaint_not_a_request(coach):
    sig = coach.session().hear("上次那个演示很差").signals
    assert "complaint" in sig and "request_demo" not in sig


# --- 7. ask.pain rotates even when the customer's name is known -------------------------


@pytest.mark.parametrize("name", ["李总", ""])
def test_ask_pain_does_not_repeat_itself(coach, name):
    s = coach.session(customer=name)
    s.hear("你好，我们公司有三十个人")
    lines = []
    for text in ["嗯", "还行吧", "嗯，你说"]:
        r = s.hear(text)
        assert r.rule == "ask.pain"
        lines.append(r.text)
    assert len(set(lines)) == 3, lines


# --- 8. export trade: L/C, LC and 信用证 all name a letter of credit ---------------------


@pytest.fixture(scope="module")
def export() -> Coach:
    return Coach.load(["default", "industry-export"])


@pytest.mark.parametrize("text", ["我们只接受L/C", "能做L/C吗", "可以开LC", "信用证付款", "付款用l/c at sight", "L / C 90天", "LC90天"])
def test_letter_of_credit_matches(export, text):
    s = export.session()
    r = s.hear(text)
    assert "letter_of_credit" in r.signals and "payment_terms" in r.signals
    assert _joined(s.slots).get("payment") == "信用证"


@pytest.mark.parametrize("text", ["我们只做T/T，不开L/C。", "我要L码和C码各一件", "我们不接受信用证"])
def test_letter_of_credit_refused_or_absent(export, text):
    s = export.session()
    r = s.hear(text)
    assert "letter_of_credit" not in r.signals
    assert _joined(s.slots).get("payment") != "信用证"


# --- every rule's why names its step and one of the five principles ----------------------

ROOT = Path(__file__).resolve().parent.parent
STEP_NAMES = ("调查", "分析", "沟通", "试探", "重复", "确定", "展示", "等待")
PRINCIPLES = ("全面性原则", "突出性原则", "深入性原则", "广泛性原则", "建议性原则")
PACK_FILES = [ROOT / "rules" / "default.yaml", *sorted((ROOT / "rules" / "optional").glob("*.yaml"))]


@pytest.mark.parametrize("path", PACK_FILES, ids=lambda p: p.stem)
def test_every_why_names_step_and_principle(path):
    with open(path, encoding="utf-8") as fh:
        rules = yaml.safe_load(fh).get("rules") or []
    bad = [r["id"] for r in rules
           if not any(r["why"].startswith(s + "：") for s in STEP_NAMES)
           or not any(p in r["why"] for p in PRINCIPLES)]
    assert not bad, f"{path.name}: why without a step or a principle: {bad}"


@pytest.mark.parametrize("path", PACK_FILES, ids=lambda p: p.stem)
def test_no_rule_mixes_variants_with_and_without_the_name(path):
    """A variant naming {customer} beats one that does not once the name is known, so a rule
    mixing them repeats its first line (ask.pain did): all or none of a rule's variants that
    name the same other slots should name {customer}."""
    import re
    with open(path, encoding="utf-8") as fh:
        rules = yaml.safe_load(fh).get("rules") or []
    bad = []
    for r in rules:
        groups: dict[frozenset, set] = {}
        for t in r.get("say") or []:
            names = set(re.findall(r"\{(\w+)\}", t))
            groups.setdefault(frozenset(names - {"customer", "echo"}), set()).add("customer" in names)
        if any(len(v) == 2 for v in groups.values()):
            bad.append(r["id"])
    assert not bad, f"{path.name}: {bad}"
