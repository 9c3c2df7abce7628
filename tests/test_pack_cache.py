"""The compiled-pack cache: used when the bytes are the same, never when they changed,
and any fault in it means the packs are parsed as if it were not there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from coach import Coach, PackError, packcache
from coach.pack import bundled_packs, load_packset
from conftest import ROOT, write_pack
from test_pack import MINIMAL

TURNS = ("我们不需要", "太贵了，预算不够", "我们现在用的是别家的系统", "好的", "你们的售后怎么样？",
         "我再考虑考虑", "问题是流程太慢")


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """A private, empty cache folder and zeroed counters for every test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("COACH_CACHE_DIR", str(folder))
    monkeypatch.delenv(packcache.ENV_SWITCH, raising=False)
    monkeypatch.setattr(packcache, "stats", dict.fromkeys(packcache.stats, 0))
    return folder


def entries(folder):
    return sorted((folder / "packs").glob("packset-*"))


def replies(coach: Coach) -> list[tuple[str, str, tuple[str, ...]]]:
    s = coach.session(customer="李总")
    out = []
    for t in TURNS:
        r = s.hear(t)
        out.append((r.rule, r.text, r.signals))
    return out


def test_second_load_reads_the_cache(cache, tmp_path):
    p = write_pack(tmp_path, MINIMAL)
    Coach.load([p])
    assert packcache.stats["hits"] == 0 and packcache.stats["writes"] == 1
    assert len(entries(cache)) == 1
    Coach.load([p])
    assert packcache.stats["hits"] == 1 and packcache.stats["writes"] == 1


@pytest.mark.parametrize("packs", [["default"], ["default", "negotiation", "industry-banking"]])
def test_cached_result_is_identical(packs):
    """Same PackSet, warnings and replies from the cache as from parsing."""
    parsed, problems = load_packset(packs, cache=False)
    assert packcache.stats["writes"] == 0
    first = Coach.load(packs)  # parses and writes
    second = Coach.load(packs)  # reads
    assert packcache.stats == {**packcache.stats, "hits": 1, "writes": 1}
    assert first.packset == second.packset
    assert first.packset.warnings == second.packset.warnings == tuple(problems)
    assert parsed == load_packset(packs)[0]
    assert first.fingerprint == second.fingerprint == parsed.fingerprint
    assert [r.id for r in second.packset.rules] == [r.id for r in parsed.rules]
    assert list(second.packset.signals) == list(parsed.signals)
    assert replies(first) == replies(second) == replies(Coach(parsed))
    cached, cached_problems = load_packset(packs)
    assert packcache.stats["hits"] == 3
    assert cached == parsed and cached_problems == problems


def test_edited_file_is_parsed_again(cache, tmp_path):
    p = write_pack(tmp_path, MINIMAL)
    assert Coach.load([p]).session().hear("我们不需要").text == "理解。您现在是怎么做的？"
    p.write_text(MINIMAL.replace("您现在是怎么做的？", "您现在用什么？"), encoding="utf-8")
    assert Coach.load([p]).session().hear("我们不需要").text == "理解。您现在用什么？"
    assert packcache.stats["hits"] == 0 and packcache.stats["writes"] == 2
    # An edit that breaks the pack is reported, not hidden behind the old cached result.
    p.write_text(MINIMAL.replace("next: communicate", "next: comunicate"), encoding="utf-8")
    with pytest.raises(PackError):
        Coach.load([p])
    assert packcache.stats["hits"] == 0


def test_edited_required_pack_is_parsed_again(tmp_path, monkeypatch):
    """A bundled pack pulled in by 'requires' is checked too, though the caller did not name it."""
    base = tmp_path / "default.yaml"
    shutil.copy(bundled_packs()["default"], base)
    monkeypatch.setattr("coach.pack.bundled_packs", lambda: {"default": base})
    p = write_pack(tmp_path, MINIMAL.replace("pack: {id: mini, title: 迷你}",
                                             "pack: {id: mini, title: 迷你, requires: [default]}"))
    before = Coach.load([p])
    assert "objection.no_money" in {r.id for r in before.packset.rules}
    base.write_text(base.read_text(encoding="utf-8").replace("id: objection.no_money",
                                                            "id: objection.no_money2"),
                    encoding="utf-8")
    after = Coach.load([p])
    assert packcache.stats["hits"] == 0
    assert "objection.no_money2" in {r.id for r in after.packset.rules}
    Coach.load([p])
    assert packcache.stats["hits"] == 1


def test_same_bytes_at_another_path_keep_their_own_positions(tmp_path):
    a = write_pack(tmp_path, MINIMAL, "a.yaml")
    b = write_pack(tmp_path, MINIMAL, "b.yaml")
    Coach.load([a])
    rule = Coach.load([b]).packset.rules[0]
    assert rule.where.path == str(b) and (rule.where.line, rule.where.col) == (7, 5)
    assert packcache.stats["hits"] == 0 and packcache.stats["writes"] == 2


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip", "empty", "directory"])
def test_damaged_cache_falls_back_to_parsing(cache, tmp_path, damage):
    p = write_pack(tmp_path, MINIMAL)
    good = replies(Coach.load([p]))
    (entry,) = entries(cache)
    blob = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(blob[: len(blob) // 2])
    elif damage == "garbage":
        entry.write_bytes(os.urandom(len(blob)))
    elif damage == "flip":  # the header is intact, one payload byte is not
        entry.write_bytes(blob[:-10] + bytes([blob[-10] ^ 0xFF]) + blob[-9:])
    elif damage == "empty":
        entry.write_bytes(b"")
    else:  # unreadable: a directory where the file should be
        entry.unlink()
        entry.mkdir()
    assert replies(Coach.load([p])) == good
    assert packcache.stats["hits"] == 0
    if damage != "directory":  # rewritten, then used
        Coach.load([p])
        assert packcache.stats["hits"] == 1


def test_unwritable_cache_folder_works(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")  # even root cannot create a folder below a file
    monkeypatch.setenv("COACH_CACHE_DIR", str(blocker / "sub"))
    p = write_pack(tmp_path, MINIMAL)
    assert replies(Coach.load([p])) == replies(Coach.load([p]))
    assert packcache.stats["hits"] == packcache.stats["writes"] == 0


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_read_only_cache_folder_works(cache, tmp_path):
    (cache / "packs").mkdir(parents=True)
    cache.chmod(0o500)
    (cache / "packs").chmod(0o500)
    try:
        p = write_pack(tmp_path, MINIMAL)
        assert replies(Coach.load([p])) == replies(Coach.load([p]))
        assert packcache.stats["writes"] == 0
    finally:
        (cache / "packs").chmod(0o700)
        cache.chmod(0o700)


def test_permission_denied_on_write_is_quiet(cache, tmp_path, monkeypatch):
    """What a read-only folder does to a non-root user, simulated so it runs as root too."""
    p = write_pack(tmp_path, MINIMAL)
    Coach.load([p])  # an entry exists

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    from coach import dirs

    monkeypatch.setattr(dirs.tempfile, "mkstemp", denied)
    monkeypatch.setattr(packcache.os, "utime", denied)
    q = write_pack(tmp_path, MINIMAL.replace("迷你", "另一个"), "other.yaml")
    assert replies(Coach.load([q])) == replies(Coach.load([q]))  # never stored, parsed twice
    Coach.load([p])  # the existing entry is still read
    assert packcache.stats["writes"] == 1 and packcache.stats["hits"] == 1
    assert [e.name for e in (cache / "packs").iterdir() if e.name.startswith(".")] == []


def test_read_only_cache_file_is_still_read(cache, tmp_path):
    p = write_pack(tmp_path, MINIMAL)
    Coach.load([p])
    (cache / "packs").chmod(0o500)
    try:
        Coach.load([p])
        assert packcache.stats["hits"] == 1
    finally:
        (cache / "packs").chmod(0o700)


def test_packs_with_errors_are_never_cached(cache, tmp_path):
    p = write_pack(tmp_path, MINIMAL.replace("next: communicate", "next: comunicate"))
    for _ in range(2):
        with pytest.raises(PackError) as exc:
            Coach.load([p])
        assert [x.code for x in exc.value.problems] == ["E110"]
    assert packcache.stats["writes"] == 0 and entries(cache) == []


def test_switched_off(cache, tmp_path, monkeypatch):
    monkeypatch.setenv(packcache.ENV_SWITCH, "0")
    p = write_pack(tmp_path, MINIMAL)
    Coach.load([p])
    Coach.load([p])
    assert packcache.stats["hits"] == packcache.stats["writes"] == 0 and entries(cache) == []


def test_clear_and_pruning(cache, tmp_path, monkeypatch):
    """At most MAX_ENTRIES files; the least recently used go first."""
    monkeypatch.setattr(packcache, "MAX_ENTRIES", 3)
    paths = [write_pack(tmp_path, MINIMAL.replace("迷你", f"迷你{i}"), f"p{i}.yaml") for i in range(5)]
    for i, p in enumerate(paths[:3]):
        Coach.load([p])
        for e in entries(cache):  # mtimes a second apart, oldest first, whatever the clock's grain
            os.utime(e, (e.stat().st_mtime - 10, e.stat().st_mtime - 10))
    Coach.load([paths[0]])  # a hit: p0 is now the most recently used
    assert packcache.stats["hits"] == 1
    Coach.load([paths[3]])
    Coach.load([paths[4]])
    assert len(entries(cache)) == 3
    Coach.load([paths[0]])
    assert packcache.stats["hits"] == 2
    assert packcache.clear() == 3 and entries(cache) == []


def test_fresh_process_uses_the_cache(cache, tmp_path):
    """Across processes: the second start reads what the first wrote, with no output."""
    p = write_pack(tmp_path, MINIMAL)
    code = ("import sys; from coach import Coach, packcache; c = Coach.load([sys.argv[1]]); "
            "print(packcache.stats['hits'], c.session().hear('我们不需要').rule)")
    env = {**os.environ, "COACH_CACHE_DIR": str(cache)}
    runs = [subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True,
                           cwd=ROOT, env=env, timeout=120) for _ in range(2)]
    assert [r.stdout.split() for r in runs] == [["0", "no_need.ask"], ["1", "no_need.ask"]]
    assert [r.stderr for r in runs] == ["", ""]


def test_key_covers_the_code_that_reads_packs():
    """Editing the modules that read packs changes every key; the turn-time modules do not."""
    sources = packcache._pack_sources()
    assert {"pack", "packcache", "yamlsafe", "text", "template", "safepattern", "numerals"} <= set(sources)
    assert not {"matching", "session", "engine"} & set(sources)
    assert all(len(src) > 100 for src in sources.values())
