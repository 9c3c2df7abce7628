"""``python -m coach.packs``: write coach/schema/pack.schema.json from coach/packs/schema.py."""

from .schema import SCHEMA_FILE, schema_text

SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
