"""Cases: several files (stems or versions of one track) analysed together. Headless (no Qt).

``document`` is the ``.facase`` file (lanes with their full results, annotations, one reviewer
decision), ``resultdoc`` the faithful JSON round trip of an AnalysisResult, ``reopen`` what
changed since a case was saved (and relinking moved files), ``align`` offsets between versions,
``summary`` the finding in words, ``build`` making and refreshing a case, ``report`` its PDF and
``command`` the ``forensic-app case`` subcommand.

Names are imported on first use, so that ``forensic-app --help`` (which registers the
subcommand) does not load numpy, scipy and soundfile.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Alignment": "align",
    "AlignmentError": "align",
    "align_signals": "align",
    "find_offset": "align",
    "align_lanes": "build",
    "default_label": "build",
    "new_case": "build",
    "refresh_case": "build",
    "DECISIONS": "document",
    "DECISION_WORDS": "document",
    "FORMAT_NAME": "document",
    "FORMAT_VERSION": "document",
    "SUFFIX": "document",
    "Annotation": "document",
    "Case": "document",
    "CaseFile": "document",
    "CaseFileError": "document",
    "Decision": "document",
    "load_case": "document",
    "save_case": "document",
    "LaneStatus": "reopen",
    "current_model": "reopen",
    "reconcile": "reopen",
    "relink": "reopen",
    "result_from_document": "resultdoc",
    "result_to_document": "resultdoc",
    "CaseSummary": "summary",
    "LaneEvidence": "summary",
    "summarize": "summary",
    "write_case_report": "report",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
