"""Shared fixtures: one Coach on the default packs, and helpers that read like conversations."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach import Coach, Session

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def coach() -> Coach:
    """The bundled default packs, loaded once for the whole run."""
    return Coach.load()


@pytest.fixture()
def session(coach: Coach) -> Session:
    return coach.session(customer="李总")


def signals_of(coach: Coach, text: str) -> tuple[str, ...]:
    """The signals a fresh session detects in one customer utterance."""
    return coach.session().hear(text).signals


def write_pack(tmp_path: Path, text: str, name: str = "pack.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p
