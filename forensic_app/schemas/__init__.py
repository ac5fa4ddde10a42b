"""Published JSON Schemas, shipped with the package: ``analysis.schema.json`` describes ``analyze --json``
(the copy in the repository's ``schema/`` folder is the same file; a test keeps them equal)."""

from __future__ import annotations

import json
from importlib import resources

ANALYSIS_SCHEMA = "analysis.schema.json"


def analysis_schema() -> dict:
    """The JSON Schema of ``forensic-app analyze --json`` output."""
    return json.loads(resources.files(__package__).joinpath(ANALYSIS_SCHEMA).read_text(encoding="utf-8"))
