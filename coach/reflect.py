"""Reflecting a customer's words back: 我→您, 我们→你们, 你→我, names, numbers and dates kept."""

from __future__ import annotations

import re

# Longest first, applied in one pass so that a swapped word is never swapped back.
_SWAPS = {
    "我们": "你们", "咱们": "你们", "我司": "贵公司", "本公司": "贵公司", "我": "您",
    "你们": "我们", "您们": "我们", "贵公司": "我们公司", "你": "我", "您": "我",
}
_SWAP_RE = re.compile("|".join(sorted(_SWAPS, key=len, reverse=True)))
# Words that contain 我/你 but are not pronouns.
_KEEP = ("自我", "你好", "您好", "忘我", "我行我素")
# An answer often starts with yes/no before the content worth reflecting.
_LEAD = re.compile(
    r"^(?:(?:嗯+|哦+|噢+|啊+|呃+|对+|对的|是的|是啊|是|没错|好的|好吧|行|可以|不对|不是|不|没有|也不是|其实|"
    r"那个|就是说|就是|主要是|主要|差不多|基本上|说实话|老实说|怎么说呢|是这样的|这样吧)[\s,，。.!！、…~～]*)+"
)
# What is left of 就是这个意思 or 对，就是这样 points at earlier words instead of saying
# anything: echoing "这个意思" back sounds like a parrot, so there is nothing to reflect.
_POINTER_ONLY = re.compile(
    r"^(?:这|那)?(?:个|样|么|么样|样子)?(?:个)?(?:意思|回事|道理|情况|问题|样|样子)?(?:的)?$"
)
_TRAIL = re.compile(r"[\s,，。.!！?？;；、…~～]*(?:啊|呀|吧|呢|嘛|哈|啦|哦|喔|哟)?[\s,，。.!！?？;；、…~～]*$")


def reflect(text: str, strip_lead: bool = True) -> str:
    """The customer's own words turned round for a check-back question.

    ``"对，我们打算让三个经理15号来"`` → ``"你们打算让三个经理15号来"``.
    Returns "" when nothing worth reflecting is left.
    """
    body = _LEAD.sub("", text.strip()) if strip_lead else text.strip()
    body = _TRAIL.sub("", body)
    if not body or _POINTER_ONLY.match(body):
        return ""
    kept: dict[str, str] = {}
    for i, word in enumerate(_KEEP):
        if word in body:
            mark = f"\x00{i}\x00"
            kept[mark] = word
            body = body.replace(word, mark)
    body = _SWAP_RE.sub(lambda m: _SWAPS[m.group(0)], body)
    for mark, word in kept.items():
        body = body.replace(mark, word)
    return body
