"""User preferences persisted as JSON in ``user_config_dir("forensic_app")``.

``FORENSIC_APP_CONFIG_DIR`` overrides the directory (tests point it at ``tmp_path``).
A corrupt file is moved aside and replaced by defaults; the caller shows the message.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Optional

import platformdirs

from ..core.bounded_json import read_json
from ..core.spectrogram import DISPLAY_N_FFT, DISPLAY_N_FFTS
from .scales import SCALE_NAMES

CONFIG_DIR_ENV = "FORENSIC_APP_CONFIG_DIR"
SETTINGS_FILE = "settings.json"
MAX_RECENT = 10
MAX_SETTINGS_BYTES = 1 << 20  # a few kB in use; a larger file is not ours

COLOUR_MAPS = ("magma", "inferno", "viridis", "cividis", "grey")
FREQ_SCALES = SCALE_NAMES
FFT_SIZES = DISPLAY_N_FFTS  # the display spectrogram's frame lengths on offer


@dataclass
class Settings:
    colour_map: str = "magma"
    db_floor: float = -100.0
    db_ceiling: float = 0.0
    freq_scale: str = "linear"
    case_freq_scale: str = "linear"  # the case window's lanes
    fft_size: int = DISPLAY_N_FFT  # frame length of the spectrogram shown (never the analysis's)
    waveform_visible: bool = True  # the track view's waveform lane
    spectrum_visible: bool = True  # the pane under the track view: spectrum at the cursor, annotations
    overlay_opacity: float = 0.7
    overlay_visible: bool = True
    loop: bool = False
    window_geometry: str = ""  # QMainWindow.saveGeometry() as base64, the last screen used
    window_geometries: dict[str, str] = field(default_factory=dict)  # the same per screen ("name WxH")
    window_state: str = ""  # QMainWindow.saveState() as base64
    case_window_geometry: str = ""  # the case window's, as the main window's two above
    case_window_geometries: dict[str, str] = field(default_factory=dict)
    splitter_state: str = ""
    recent_files: list[str] = field(default_factory=list)
    demo_offered: bool = False  # the first start without a file offers the demo track, once
    reviewer: str = ""  # the name the Queue records with decisions ("": the computer's user name)

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        self.recent_files = [path] + [p for p in self.recent_files if p != path]
        del self.recent_files[MAX_RECENT:]

    def validated(self) -> "Settings":
        """Clamp values a hand-edited file may have broken; unknown names fall back."""
        d = Settings()
        if self.colour_map not in COLOUR_MAPS:
            self.colour_map = d.colour_map
        if self.freq_scale not in FREQ_SCALES:
            self.freq_scale = d.freq_scale
        if self.case_freq_scale not in FREQ_SCALES:
            self.case_freq_scale = d.case_freq_scale
        self.fft_size = int(self.fft_size) if self.fft_size in FFT_SIZES else d.fft_size
        self.db_floor = float(min(max(self.db_floor, -200.0), 10.0))
        self.db_ceiling = float(min(max(self.db_ceiling, -190.0), 20.0))
        if self.db_ceiling - self.db_floor < 10.0:
            self.db_floor, self.db_ceiling = d.db_floor, d.db_ceiling
        self.overlay_opacity = float(min(max(self.overlay_opacity, 0.0), 1.0))
        self.recent_files = [str(p) for p in self.recent_files if isinstance(p, str)][:MAX_RECENT]
        self.window_geometries = {
            k: v for k, v in self.window_geometries.items() if isinstance(k, str) and isinstance(v, str)
        }
        self.case_window_geometries = {
            k: v for k, v in self.case_window_geometries.items() if isinstance(k, str) and isinstance(v, str)
        }
        return self


def config_dir() -> Path:
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("forensic_app", appauthor=False))


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def load_settings() -> tuple[Settings, Optional[str]]:
    """Return the saved settings and, if the file had to be reset, a message for the user."""
    path = settings_path()
    if not path.exists():
        return Settings(), None
    try:
        raw = read_json(path, max_bytes=MAX_SETTINGS_BYTES)
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        known = {f.name: f for f in fields(Settings)}
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if name not in known:
                continue  # written by a newer version: ignore, keep the rest
            default = getattr(Settings(), name)
            if isinstance(default, bool) and not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
            if isinstance(default, float) and not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number")
            if isinstance(default, (str, list, dict)) and not isinstance(value, type(default)):
                raise ValueError(f"{name} has the wrong type")
            values[name] = value
        return Settings(**values).validated(), None
    except (OSError, ValueError, TypeError) as err:
        backup = path.with_name(SETTINGS_FILE + ".corrupt")
        try:
            os.replace(path, backup)
            where = f" (the unreadable file was kept as {backup})"
        except OSError:
            where = ""
        return Settings(), f"Your settings file could not be read ({err}); defaults were restored{where}."


def save_settings(settings: Settings) -> Optional[str]:
    """Write atomically; return an error message instead of raising (settings are not worth a crash)."""
    path = settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(SETTINGS_FILE + ".tmp")
        tmp.write_text(json.dumps(asdict(settings), indent=2), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:
        return f"Settings could not be saved to {path}: {err.strerror or err}"
    return None
