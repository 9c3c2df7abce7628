"""Built-in slot extractors: people with titles (李总), numbers and dates."""

from __future__ import annotations

import re

from .numerals import NUMBER_PATTERN, NUMBER_RE

# The commonest surnames cover nearly every name a salesperson will type; a plain
# "two characters + 经理" would also catch 销售经理, which is a job, not a person.
_SURNAMES = (
    "李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰"
    "焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁"
)
_COMPOUND = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "尉迟", "长孙")
TITLES = ("董事长", "总经理", "总监", "经理", "主任", "老板", "先生", "女士", "小姐", "老师",
          "科长", "处长", "局长", "部长", "主管", "厂长", "校长", "院长", "会计", "律师", "医生",
          "总", "工", "姐", "哥", "总裁", "行长", "秘书")
#: A regex fragment matching a surname and a title (李总, 王经理), for ``{person}``.
PERSON_PATTERN = (
    "(?:" + "|".join(_COMPOUND) + "|[" + _SURNAMES + "])"
    + "(?:" + "|".join(sorted(TITLES, key=len, reverse=True)) + ")"
)
_PERSON = re.compile(PERSON_PATTERN)
# Words that end in a title but are not people: 总经理 is a title, 老总 a generic boss.
_NOT_PEOPLE = {"总经理", "老总", "万总"}

DATE_PATTERN = (
    r"(?:(?:本|这个|下个?|上个?)月)?(?:" + NUMBER_PATTERN + r")[号日](?:前|之前|左右)?"
    r"|(?:" + NUMBER_PATTERN + r")月(?:" + NUMBER_PATTERN + r")[号日]"
    r"|(?:本|这个|下个?)月(?:初|中旬|中|底|末)|月(?:初|中旬|底|末)"
    r"|(?:本|这|下个?|上个?)(?:周|星期|礼拜)[一二三四五六日天末]?"
    r"|(?:周|星期|礼拜)[一二三四五六日天]"
    r"|(?:今|明|后)天|下个?季度|年底|年初|年中|(?:" + NUMBER_PATTERN + r")(?:天|周|个月|年)(?:内|后|以后|之内)"
)
_DATE = re.compile(DATE_PATTERN)
_COUNT = re.compile(
    "(" + NUMBER_PATTERN + r")\s*(个|位|名|人|家|台|套|间|份|次|年|万|千|元|块|%|平米|平方|亩)"
)


#: The regexes each built-in extractor runs: when none of them can match a text (see
#: ``literals.Prefilter``), the extractor finds nothing there and need not run.
EXTRACTOR_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "person": (_PERSON,),
    "number": (_COUNT, NUMBER_RE),
    "date": (_DATE,),
}


def extract_people(text: str) -> list[str]:
    """People named with a title: ``李经理、王经理`` → ["李经理", "王经理"]."""
    out = []
    for m in _PERSON.finditer(text):
        name = m.group(0)
        if name in _NOT_PEOPLE:
            continue
        # 总 and 工 are titles only right after a surname at a word edge (李总 yes, 李总经理 no).
        if name not in out:
            out.append(name)
    return out


def extract_numbers(text: str) -> list[str]:
    """Counted quantities as written: ``三个销售经理``, ``预算十五万`` → ["三个", "十五万"]."""
    out = []
    for m in _COUNT.finditer(text):
        if m.group(0) not in out:
            out.append(m.group(0))
    if not out:
        out = [m.group(0) for m in NUMBER_RE.finditer(text)]
    return out


def extract_dates(text: str) -> list[str]:
    """Dates and deadlines as written: ``15号``, ``本月中旬``, ``下周三``, ``三个月内``."""
    out = []
    for m in _DATE.finditer(text):
        if m.group(0) not in out:
            out.append(m.group(0))
    return out
