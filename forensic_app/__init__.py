"""forensic_app: offline analyzer for AI-generated music.

The public API lives in :mod:`forensic_app.api` (``Analyzer``, ``analyze``, ``write_report``, the
errors, ``CancelToken``, ``Progress``); its names are also reachable here, loaded on first use so
that ``forensic-app --version`` does not import torch.
"""

__version__ = "0.1.0"
_API_NAMES = frozenset(
    {
        "Analyzer",
        "analyze",
        "write_report",
        "demo_track",
        "AnalysisResult",
        "Measurements",
        "CancelToken",
        "Progress",
        "UnusableInputError",
        "ModelError",
        "BundleError",
        "Cancelled",
        "ReportError",
    }
)


def __getattr__(name: str):
    if name not in _API_NAMES:  # submodules and everything else: the usual AttributeError
        raise AttributeError(f"module 'forensic_app' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module("forensic_app.api"), name)
