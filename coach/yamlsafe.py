"""Safe YAML reading that remembers where every key and item came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

try:  # libyaml's parser when the wheel has it; the pure-Python one is the same grammar
    _Base: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - wheels without libyaml
    _Base = yaml.SafeLoader

#: Packs bigger than this are refused before parsing: no real pack comes near it.
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Deeper nesting than this is refused: the pack format needs five levels.
MAX_DEPTH = 40


@dataclass(frozen=True)
class Pos:
    """A 1-based line and column in a file."""

    line: int
    col: int


class LDict(dict[Any, Any]):
    """A mapping from YAML with the position of each key (``.pos[key]``) and its own."""

    pos: dict[Any, Pos]
    at: Pos


class LList(list[Any]):
    """A sequence from YAML with the position of each item (``.pos[i]``) and its own."""

    pos: list[Pos]
    at: Pos


class YamlProblem(Exception):
    def __init__(self, message: str, pos: Pos, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.pos, self.hint = message, pos, hint


def _pos(node: yaml.Node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


class _Loader(_Base):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._seen: set[int] = set()

    def construct_document(self, node: yaml.Node) -> Any:
        return self._build(node, 0)

    def _build(self, node: yaml.Node, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise YamlProblem(f"嵌套超过 {MAX_DEPTH} 层", _pos(node),
                              "规则包只需要几层；把结构摊平")
        if id(node) in self._seen and not isinstance(node, yaml.ScalarNode):
            # An alias: packs never need them, and they are how "billion laughs" works.
            raise YamlProblem("不允许 YAML 锚点和别名（&name / *name）",
                              _pos(node), "把值完整写出来")
        self._seen.add(id(node))
        if node.tag not in _SAFE_TAGS:
            raise YamlProblem(f"不允许 YAML 标签 {node.tag}", _pos(node),
                              "规则包只放普通数据：去掉这个标签")
        if isinstance(node, yaml.MappingNode):
            out = LDict()
            out.pos, out.at = {}, _pos(node)
            self.flatten_mapping(node)
            for key_node, value_node in node.value:
                key = self._build(key_node, depth + 1)
                if isinstance(key, (dict, list)):
                    raise YamlProblem("映射的键必须是普通文字", _pos(key_node))
                if key in out:
                    raise YamlProblem(f"键 {key!r} 在这个映射里出现了两次",
                                      _pos(key_node), "删掉其中一个")
                out[key] = self._build(value_node, depth + 1)
                out.pos[key] = _pos(key_node)
            return out
        if isinstance(node, yaml.SequenceNode):
            seq = LList()
            seq.pos, seq.at = [], _pos(node)
            for item in node.value:
                seq.append(self._build(item, depth + 1))
                seq.pos.append(_pos(item))
            return seq
        try:
            return self.construct_object(node, deep=True)
        except (ValueError, OverflowError):
            # int() refuses 4,300 digits and more; a pack never needs such a number.
            raise YamlProblem("这个数太长了，无法读取", _pos(node), "写一个短一些的数") from None


_SAFE_TAGS = {
    "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
}


def load_located(text: str) -> Any:
    """Parse one YAML document into LDict/LList/scalars; raise YamlProblem on any fault."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Pos(mark.line + 1, mark.column + 1) if mark else Pos(0, 0)
        msg = " ".join(x for x in (exc.context, exc.problem) if x)
        raise YamlProblem(f"YAML 语法错误：{msg}", pos,
                          "检查这一行的缩进、冒号和引号") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML 错误：{exc}", Pos(0, 0)) from None
    except RecursionError:
        raise YamlProblem("嵌套太深", Pos(0, 0), "把结构摊平") from None
    finally:
        loader.dispose()
