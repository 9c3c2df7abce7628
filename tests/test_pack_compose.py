"""Composing several packs: what a later pack keeps of an earlier one's definitions."""

from __future__ import annotations

import textwrap

from conftest import write_pack
from test_pack import MINIMAL

from coach import Coach

BASE = MINIMAL.replace("no_need: {any: [不需要]}",
                       "no_need: {title: 不需要, any: [不需要]}\n  price: {title: 太贵, any: [太贵]}")

EXTEND = textwrap.dedent("""\
    pack: {id: more, title: 扩展}
    signals:
      no_need: {any: [用不上]}
      price: {title: 价格异议, any: [超预算]}
    """)


def test_extension_without_title_keeps_the_earlier_title(tmp_path):
    """A later pack that only adds keywords keeps the signal's title; one that names a title sets it."""
    base = write_pack(tmp_path, BASE, "base.yaml")
    more = write_pack(tmp_path, EXTEND, "more.yaml")
    signals = Coach.load([base, more]).packset.signals
    assert signals["no_need"].title == "不需要"
    assert signals["no_need"].match.any == (("不需要",), ("用不上",))
    assert signals["price"].title == "价格异议"


def test_replacement_without_title_falls_back_to_the_id(tmp_path):
    """replace: true replaces the whole signal, title included."""
    base = write_pack(tmp_path, BASE, "base.yaml")
    more = write_pack(tmp_path, EXTEND.replace("{any: [用不上]}", "{replace: true, any: [用不上]}"),
                      "more.yaml")
    sig = Coach.load([base, more]).packset.signals["no_need"]
    assert sig.title == "no_need" and sig.match.any == (("用不上",),)


def test_extended_signal_matches_both_packs_keywords(tmp_path):
    base = write_pack(tmp_path, BASE, "base.yaml")
    more = write_pack(tmp_path, EXTEND, "more.yaml")
    c = Coach.load([base, more])
    assert c.session().hear("我们用不上").rule == "no_need.ask"
    assert c.session().hear("我们不需要").rule == "no_need.ask"
