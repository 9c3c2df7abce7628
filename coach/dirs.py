"""Where coach keeps its files: the user's data and cache directories.

``$COACH_HOME`` and ``$COACH_CACHE_DIR`` override them; otherwise platformdirs picks the
platform's usual places (``~/.local/share/coach`` and ``~/.cache/coach`` on Linux, with
the XDG variables honoured).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """Where coach keeps what the user made (practice history): $COACH_HOME, else the data dir."""
    env = os.environ.get("COACH_HOME")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("coach", appauthor=False, roaming=True))


def cache_dir() -> Path:
    """Where coach keeps what it can rebuild: $COACH_CACHE_DIR, else the user cache dir."""
    env = os.environ.get("COACH_CACHE_DIR")
    if env:
        return Path(env)
    return Path(platformdirs.user_cache_dir("coach", appauthor=False))


def write_cache_file(path: Path, data: bytes) -> bool:
    """Write a cache file atomically; False (never an error) when the folder refuses it."""
    # Atomic: another process may be reading or writing the same file at this moment.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".coach-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        return False  # read-only or missing cache dir: the next start is slower, nothing more
    return True


def prune_cache_folder(folder: Path, pattern: str, keep: int) -> None:
    """Delete all but the ``keep`` newest files matching ``pattern`` in a cache folder."""
    try:
        entries = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime_ns)
    except OSError:
        return
    for old in entries[:-keep] if keep > 0 else entries:
        try:
            old.unlink()
        except OSError:
            pass  # another process removed it first, or the folder is read-only
