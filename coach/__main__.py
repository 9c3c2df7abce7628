"""``python -m coach``: the same as the ``coach`` command."""

from .cli import main

raise SystemExit(main())
