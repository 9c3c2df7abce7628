"""coach: a rule-based sales-coaching chatbot for Chinese-speaking salespeople."""

from .engine import Coach, Explanation
from .errors import CoachError, InputError, PackError, Problem, StateError
from .session import Feedback, Session, Suggestion
from .steps import Step
from .stores import MemorySessionStore, RedisSessionStore, SessionStore, SQLiteSessionStore, StoreConflict, handle
from .text import MAX_TURN_CHARS

__all__ = [
    "MAX_TURN_CHARS",
    "Coach",
    "CoachError",
    "Explanation",
    "Feedback",
    "InputError",
    "MemorySessionStore",
    "PackError",
    "Problem",
    "RedisSessionStore",
    "SQLiteSessionStore",
    "Session",
    "SessionStore",
    "StateError",
    "Step",
    "StoreConflict",
    "Suggestion",
    "handle",
]

__version__ = "0.1.0"
