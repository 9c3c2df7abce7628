"""coach's own segmentation loop gives exactly jieba's words and offsets."""

from __future__ import annotations

import random

import jieba
import pytest

from coach.text import normalise
from coach.tokenizer import tokenize

_SAMPLES = [
    "我们的客户不需要", "不是不需要，是预算紧", "考虑考虑再说吧", "这个价钱老板肯定不会批的。",
    "我们有五十多个销售，分四个组。", "用excel记账，一年大概3.5万", "ＡＢＣ公司的CRM好用吗？",
    "這個方案我們內部都看過了，沒問題", "嗯嗯嗯好的😀", "  ", "a", "李总", "2024年3月15号前上线",
    "C++ and c# 都行 100% 满意", "鄂尔多斯市东胜区的张三丰说。", "\u3400\u3401测试",
]
_ALPHABET = list("的一是不了人我在有他这中大来上个到说们为和你地出也时年得就那要下以会着去过对可里后么")
_ALPHABET += list("考虑需要预算价格贵便宜老板经理系统客户销售ABCabc0123 ，。！？%.-+#&_😀ｗ")


def _random_texts(count: int) -> list[str]:
    rnd = random.Random(5)
    return ["".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(1, 40))) for _ in range(count)]


@pytest.mark.parametrize("text", _SAMPLES)
def test_samples_match_jieba(coach, text):
    """Known sentences, raw and normalised, segment as jieba segments them."""
    tk = coach.matching.tk
    for s in (text, normalise(text).text):
        assert tokenize(tk, s) == list(tk.tokenize(s))


def test_random_texts_match_jieba(coach):
    """Random mixes of common characters, words, Latin, digits, symbols and spaces."""
    tk = coach.matching.tk
    for s in _random_texts(3000):
        assert tokenize(tk, s) == list(tk.tokenize(s)), s


def test_a_tokenizer_subclass_keeps_its_own_cut():
    """Only a plain jieba.Tokenizer takes the fast loop; a subclass is asked itself."""

    class Whole(jieba.Tokenizer):
        def tokenize(self, unicode_sentence, mode="default", HMM=True):  # type: ignore[override]
            yield (unicode_sentence, 0, len(unicode_sentence))

    assert tokenize(Whole(), "我们不需要") == [("我们不需要", 0, 5)]
