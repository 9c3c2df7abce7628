"""The pack format: keys nothing reads are errors, with the file, line and column."""

from __future__ import annotations

from conftest import write_pack

from coach.lint import lint

PACK = """\
pack: {id: mini, title: 迷你}
signals:
  no_need: {any: [不需要]}
moves:
  ask: {any: [怎么样], step: investigate}
rules:
  - id: all.fallback
    say: ["您能多说一点吗？"]
    why: 沟通：请客户多说。
"""


def _errors(tmp_path, text: str) -> list[str]:
    return [str(p) for p in lint([write_pack(tmp_path, text)]) if p.is_error]


def test_the_pack_loads_as_written(tmp_path) -> None:
    assert _errors(tmp_path, PACK) == []


def test_language_in_the_header_is_an_unknown_key(tmp_path) -> None:
    (error,) = _errors(tmp_path, PACK.replace("pack: {id: mini, title: 迷你}", "pack: {id: mini, language: zh-Hans}"))
    assert error.startswith(f"{tmp_path / 'pack.yaml'}:1:") and "E101" in error and "language" in error


def test_replace_on_a_move_is_an_unknown_key(tmp_path) -> None:
    (error,) = _errors(tmp_path, PACK.replace("step: investigate}", "step: investigate, replace: true}"))
    assert f"{tmp_path / 'pack.yaml'}:5:" in error and "E101" in error and "replace" in error


def test_shipped_schema_is_the_models() -> None:
    """coach/schema/pack.schema.json is written from coach/packs/schema.py, never by hand."""
    from coach.packs.schema import SCHEMA_FILE, schema_text

    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text()


def test_the_readers_keys_are_the_models() -> None:
    """A key the schema allows is one the reader knows, and the other way round."""
    from coach.packs.schema import PACK

    assert set(PACK.keys) == set(PACK.schema()["properties"])
    rule = PACK.schema()["properties"]["rules"]["items"]
    assert set(rule["properties"]) >= {"id", "when", "say", "why"} and rule["additionalProperties"] is False
