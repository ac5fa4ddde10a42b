"""The file dialogs' filters: which names the Open and Add dialogs offer (a leaf module, no window imports)."""

from __future__ import annotations

from ..core.formats import AUDIO_EXTENSIONS

# the same names `batch` takes from a folder (core.formats), so a dialog never hides a file the app reads
AUDIO_FILTER = "Audio files (" + " ".join(f"*{e}" for e in sorted(AUDIO_EXTENSIONS)) + ");;All files (*)"
CASE_FILTER = "Forensic case (*.facase)"
