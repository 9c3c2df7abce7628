"""Loading packs: names, files and folders resolved, read, composed; every problem reported."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path

from ..errors import PackError, Problem
from .compose import compose
from .model import PackSet
from .read import RawPack, Reader, bundled_packs, read_file, resolve


def load_packset(sources: Iterable[str | Path] | str | Path | None) -> tuple[PackSet | None, list[Problem]]:
    """Read, validate and compose packs. Returns the PackSet (None on errors) and all problems."""
    # A large pack allocates a million small objects and no cycles: the collector's full
    # passes over them cost more than the rest of the load, so it waits until we are done.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_packset(sources)
    finally:
        if was_enabled:
            gc.enable()


def _load_packset(sources: Iterable[str | Path] | str | Path | None) -> tuple[PackSet | None, list[Problem]]:
    files, problems = resolve(sources)  # type: ignore[arg-type]
    raws: list[RawPack] = []
    for f in files:
        raw = read_file(f, problems)
        if raw is not None:
            raws.append(raw)
    # Pull in bundled packs that a pack requires and that the caller did not list.
    have = {r.info.id for r in raws if r.info}
    bundled = bundled_packs()
    extra: list[RawPack] = []
    for raw in raws:
        for req, rpos in raw.requires:
            if req in have:
                continue
            if req in bundled:
                got = read_file(bundled[req], problems)
                if got is not None:
                    extra.append(got)
                    have.add(req)
            else:
                Reader(raw.path, problems).err(rpos, "E120", f"找不到依赖的规则包 '{req}'",
                                                "在 Coach.load([...]) 里列出它，或用自带包的 id")
    raws = extra + raws
    if any(p.is_error for p in problems):
        return None, problems
    if not raws:
        problems.append(Problem("?", 0, 0, "E002", "没有要加载的规则包", "至少指定一个规则包"))
        return None, problems
    return compose(raws, problems), problems


def load_or_raise(sources: Iterable[str | Path] | str | Path | None) -> PackSet:
    packset, problems = load_packset(sources)
    if packset is None:
        raise PackError(problems)
    return PackSet(**{**packset.__dict__, "warnings": tuple(p for p in problems if not p.is_error)})
