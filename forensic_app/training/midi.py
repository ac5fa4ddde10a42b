"""MIDI rendered through recorded (sampled) instruments: fluidsynth with Debian's General MIDI
soundfonts. Human-made music of this kind is a real negative the detectors must not flag
(DATA.md, "Real negatives worth building"); training.kinds and training.corpus render through here.

Needs the ``fluidsynth`` binary and the soundfont packages named in :data:`SOUNDFONTS`
(``bash packaging/install-deps.sh --studies``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# name -> (file, Debian package). All three are free General MIDI sets of recorded instruments:
# FluidR3 GM (MIT, 141 MB), TimGM6mb (GPL-2, 6 MB), MuseScore General Lite (MIT, SF3, 40 MB).
SOUNDFONTS: dict[str, tuple[str, str]] = {
    "FluidR3 GM": ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "fluid-soundfont-gm"),
    "TimGM6mb": ("/usr/share/sounds/sf2/TimGM6mb.sf2", "timgm6mb-soundfont"),
    "MuseScore General Lite": ("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3", "musescore-general-soundfont-small"),
}
INSTALL_HINT = "run bash packaging/install-deps.sh --studies"


def soundfont_path(name: str) -> Path:
    """The installed file of soundfont ``name`` (a key of SOUNDFONTS).

    Raises KeyError for an unknown name, RuntimeError naming the Debian packages to install when
    fluidsynth or the soundfont is missing.
    """
    path, package = SOUNDFONTS[name]
    if shutil.which("fluidsynth") is None or not Path(path).is_file():
        raise RuntimeError(f"rendering MIDI through {name} needs fluidsynth and the {package} package: {INSTALL_HINT}")
    return Path(path)


def available() -> bool:
    """Whether fluidsynth and every soundfont of SOUNDFONTS are installed."""
    try:
        for name in SOUNDFONTS:
            soundfont_path(name)
    except RuntimeError:
        return False
    return True


def render(mid: Path, soundfont: str, out_wav: Path, rate: int = 44100, gain: float = 0.5) -> None:
    """Render the Standard MIDI File ``mid`` through ``soundfont`` (a SOUNDFONTS name) into a
    stereo 16-bit WAV ``out_wav`` at ``rate`` Hz (fluidsynth's reverb and chorus on, as players use it).

    Raises RuntimeError (see soundfont_path) or subprocess.CalledProcessError when fluidsynth fails.
    """
    sf_path = soundfont_path(soundfont)
    subprocess.run(
        ["fluidsynth", "-ni", "-g", str(gain), "-r", str(rate), "-F", str(out_wav), str(sf_path), str(mid)],
        check=True,
        capture_output=True,
    )
