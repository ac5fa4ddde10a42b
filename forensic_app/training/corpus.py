"""Real music for training: Debian game-music packages plus the bundled CC recordings.

Packages are fetched without installing them (``apt-get download`` + ``dpkg-deb -x``)
into ``<cache>/debs`` and ``<cache>/pkgs``. Tracks are split train / val / test BY
PACKAGE (one package is roughly one composer or one game's soundtrack) with a fixed seed,
so a detector is never tested on a composer it was trained on.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import soundfile as sf
import soxr

from ..core.mono import to_mono

SR = 44100
AUDIO_EXTS = (".ogg", ".oga", ".opus", ".mp3", ".flac", ".wav")
MIN_TRACK_S = 30.0  # shorter files in music packages are jingles / sound effects


def shared_dir() -> Path:
    """The handed training material (decoders, CC recordings): ``$FORENSIC_APP_SHARED``, else
    ``../shared`` beside the repository (the project's layout)."""
    env = os.environ.get("FORENSIC_APP_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared"


REAL_CC_DIR = shared_dir() / "data" / "real-cc"
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class PackageSpec:
    name: str
    licence: str  # short note; the package's copyright file is authoritative
    low_bitrate: bool = False  # kept on purpose as hard real negatives
    music_filter: bool = False  # *-data packages: keep only paths containing "music"
    # Packages added after the first build get a fixed split and real segments only, so
    # adding them never moves or renames the items planned from the others.
    pinned_split: Optional[str] = None
    max_download_mb: float = 400.0
    # music stored as notes, rendered to FLAC when unpacked (under RENDERED_DIR; only those files
    # are listed): "midi" through each of ``soundfonts`` (training.midi.SOUNDFONTS names) by
    # fluidsynth, "tracker" (.it/.xm/.s3m/.mod modules, their own recorded samples) by ffmpeg's libopenmpt
    render: Optional[str] = None
    soundfonts: tuple[str, ...] = ()


PACKAGES: tuple[PackageSpec, ...] = (
    PackageSpec("ufoai-music", "GPL-2 / CC-BY / PD"),
    PackageSpec("warzone2100-music", "GPL-2+ / CC-BY-SA", low_bitrate=True),
    # 0ad-data (1.4 GB) and supertuxkart-data (0.6 GB) were added to widen the real
    # sources that choose the likely_fake threshold (val) and measure it (test).
    PackageSpec("0ad-data", "CC-BY-SA-3.0", music_filter=True, pinned_split="val", max_download_mb=1500.0),
    PackageSpec("planetblupi-music-ogg", "CC-BY-SA / GPL", low_bitrate=True),
    PackageSpec("wesnoth-1.16-music", "GPL-2+"),
    PackageSpec("naev-data", "CC-BY / CC-BY-SA / GPL", music_filter=True),
    PackageSpec("supertux-data", "GPL / CC-BY-SA", music_filter=True),
    PackageSpec("widelands-data", "GPL-2+ / CC-BY-SA", music_filter=True),
    PackageSpec("hedgewars-data", "GPL-2 / CC-BY", music_filter=True),
    PackageSpec("nexuiz-music", "GPL-2+"),
    PackageSpec("singularity-music", "CC-BY-SA / PD"),
    PackageSpec("supertuxkart-data", "CC-BY-SA / GPL", music_filter=True, pinned_split="test", max_download_mb=700.0),
    PackageSpec("freedroidrpg-data", "GPL-2+ / CC-BY-SA", music_filter=True),
    PackageSpec("drascula-music", "freeware, redistributable (see copyright)"),
    PackageSpec("megaglest-data", "CC-BY-SA-3.0", music_filter=True),
    PackageSpec("openclonk-data", "CC-BY / ISC", music_filter=True),
    PackageSpec("hyperrogue-music", "CC-BY / PD"),
    PackageSpec("fretsonfire-songs-muldjord", "GPL-2+ (metal; song+guitar stems summed)"),
    PackageSpec("fretsonfire-songs-sectoid", "GPL-2+ (rock; song+guitar stems summed)"),
    PackageSpec("asc-music", "GPL-2+ (MP3 22 kHz)", low_bitrate=True),
    # Added for #12 (a wider real-music null), pinned so no earlier item moves: two more composers
    # in train, a 22 kHz soundtrack in val, two soundtracks and tracker music (sampled instruments
    # sequenced by hand) in test; MIDI compositions rendered through two recorded GM soundfonts in
    # train (the third soundfont is kept for the test split's kinds: training.kinds.KIND_SPLITS).
    PackageSpec("colobot-common-sounds", "GPL-3+", music_filter=True, pinned_split="train"),
    PackageSpec(
        "planetblupi-music-midi",
        "GPL-3+ (MIDI, rendered here)",
        pinned_split="train",
        render="midi",
        soundfonts=("FluidR3 GM", "TimGM6mb"),
    ),
    PackageSpec("fillets-ng-data", "GPL-2+ (22 kHz)", music_filter=True, pinned_split="val"),
    PackageSpec("lincity-ng-data", "GPL-2+", music_filter=True, pinned_split="test"),
    PackageSpec("extremetuxracer-data", "GPL-2+", music_filter=True, pinned_split="test"),
    PackageSpec(
        "pingus-data",
        "GPL-3+ (tracker modules, rendered here)",
        music_filter=True,
        pinned_split="test",
        render="tracker",
    ),
)
RENDERED_DIR = "music-rendered"  # under a package's root: its notes rendered to audio
TRACKER_EXTS = (".it", ".xm", ".s3m", ".mod")

# Real-CC tracks forced into TEST: the folk song with vocals (future demo track) + one more.
# (The 5-s solo trumpet is too short for a 10-s segment, so Vibe Ace (jazz) is the second.)
TEST_REAL_CC = ("Karissa_Hobbs_-_Lets_Go_Fishin", "Kevin_MacLeod_-_Vibe_Ace")


@dataclass(frozen=True)
class Track:
    """One piece of music: a file, or several stems summed (fretsonfire songs)."""

    source_package: str
    stems: tuple[str, ...]
    duration_s: float
    licence: str
    low_bitrate: bool = False

    @property
    def name(self) -> str:
        return Path(self.stems[0]).stem if len(self.stems) == 1 else Path(self.stems[0]).parent.name


def _run(cmd: Sequence[str], cwd: Optional[Path] = None) -> None:
    subprocess.run(list(cmd), cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def package_size_mb(name: str) -> Optional[float]:
    """Download size from ``apt-cache show``; None if the package is unknown."""
    try:
        out = subprocess.run(["apt-cache", "show", name], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    m = re.search(r"^Size:\s*(\d+)", out, re.M)
    return int(m.group(1)) / 1e6 if m else None


def fetch_package(spec: PackageSpec, cache_dir: Path, *, max_download_mb: Optional[float] = None) -> Optional[Path]:
    """Download and unpack one package under ``cache_dir``; None if skipped or failed."""
    debs, root = cache_dir / "debs", cache_dir / "pkgs" / spec.name
    done = root / ".extracted"
    if done.exists():
        return root
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{spec.name}_*.deb"))
    if not found:
        size = package_size_mb(spec.name)
        if size is None or size > (max_download_mb if max_download_mb is not None else spec.max_download_mb):
            return None
        try:
            _run(["apt-get", "download", spec.name], cwd=debs)
        except (OSError, subprocess.CalledProcessError):
            return None
        found = sorted(debs.glob(f"{spec.name}_*.deb"))
        if not found:
            return None
    try:
        root.mkdir(parents=True, exist_ok=True)  # dpkg-deb creates only the last level
        _run(["dpkg-deb", "-x", str(found[-1]), str(root)])
        _extract_zipped_music(root)
    except (OSError, subprocess.CalledProcessError, zipfile.BadZipFile):
        return None
    if spec.render:
        render_notes(spec, root)  # RuntimeError (what to install) reaches collect_tracks
    done.touch()
    return root


def render_notes(spec: PackageSpec, root: Path) -> list[Path]:
    """Render a package's music stored as notes into ``root/RENDERED_DIR`` as 44.1 kHz FLAC:
    each MIDI file through each of ``spec.soundfonts`` (``<name>.<soundfont>.flac``), each tracker
    module as itself. Files already rendered are kept (resumable); a file the renderer rejects is
    left out. Returns the rendered files.

    Raises RuntimeError naming what to install when fluidsynth, a soundfont or ffmpeg is missing,
    ValueError for an unknown ``spec.render``.
    """
    from . import midi

    out_dir = root / RENDERED_DIR
    out_dir.mkdir(exist_ok=True)
    sources = sorted(
        p for p in root.rglob("*") if p.is_file() and RENDERED_DIR not in p.parts and "/doc/" not in str(p)
    )
    jobs: list[tuple[Path, Path, Optional[str]]] = []
    if spec.render == "midi":
        for p in (p for p in sources if p.suffix.lower() in (".mid", ".midi")):
            jobs += [(p, out_dir / f"{p.stem}.{_slug(sf_name)}.flac", sf_name) for sf_name in spec.soundfonts]
    elif spec.render == "tracker":
        jobs = [(p, out_dir / f"{p.stem}.flac", None) for p in sources if p.suffix.lower() in TRACKER_EXTS]
    else:
        raise ValueError(f"{spec.name}: unknown render {spec.render!r} (midi or tracker)")
    if spec.render == "tracker" and shutil.which("ffmpeg") is None:
        raise RuntimeError(f"{spec.name}: rendering tracker modules needs ffmpeg: run bash packaging/install-deps.sh")
    for src, target, sf_name in jobs:
        if target.exists():
            continue
        tmp_wav = target.with_suffix(".tmp.wav")
        try:
            if sf_name is not None:
                midi.render(src, sf_name, tmp_wav, rate=SR)
            else:
                _run(["ffmpeg", "-y", "-v", "error", "-i", str(src), "-ar", str(SR), "-c:a", "pcm_s16le", str(tmp_wav)])
            x, rate = sf.read(tmp_wav, dtype="float32", always_2d=True)
        except (subprocess.CalledProcessError, sf.LibsndfileError):  # one broken file is left out, not the package
            continue
        finally:
            tmp_wav.unlink(missing_ok=True)
        tmp = target.with_suffix(".tmp.flac")
        sf.write(tmp, x, rate, subtype="PCM_16", format="FLAC")
        tmp.replace(target)
    return [t for _, t, _ in jobs if t.exists()]


def _extract_zipped_music(root: Path) -> None:
    """Unpack music members of .pk3/.zip archives (Quake-style game data) next to them."""
    for arc in list(root.rglob("*.pk3")) + list(root.rglob("*.zip")):
        with zipfile.ZipFile(arc) as zf:
            for member in zf.namelist():
                in_music = "music" in member.lower() or "music" in arc.name.lower()
                if in_music and member.lower().endswith(AUDIO_EXTS):
                    target = arc.parent / (arc.name + ".d") / member
                    if not target.exists():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        with zf.open(member) as src, open(target, "wb") as dst:
                            dst.write(src.read())


def audio_duration_s(path: str) -> float:
    try:
        return float(sf.info(path).duration)
    except Exception:  # noqa: BLE001 - libsndfile cannot read every codec; ask ffprobe
        try:
            out = subprocess.run(
                ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            return float(out.strip())
        except (OSError, subprocess.CalledProcessError, ValueError):
            return 0.0


def list_tracks(spec: PackageSpec, root: Path) -> list[Track]:
    """Music tracks of one unpacked package, sorted by path (deterministic)."""
    # resolve(): some packages symlink the same files into per-language folders
    files = sorted(
        {
            str(p.resolve())
            for p in root.rglob("*")
            if p.is_file() and p.suffix.lower() in AUDIO_EXTS and "/doc/" not in str(p)
        }
    )
    if spec.render:  # only what render_notes made (not the package's sound effects)
        files = [f for f in files if f"/{RENDERED_DIR}/" in f and ".tmp." not in f]
    elif spec.music_filter:
        files = [f for f in files if "music" in f[len(str(root)) :].lower()]
    groups: list[tuple[str, ...]]
    if spec.name.startswith("fretsonfire"):
        by_dir: dict[str, list[str]] = {}
        for f in files:
            if Path(f).name in ("song.ogg", "guitar.ogg", "rhythm.ogg"):
                by_dir.setdefault(str(Path(f).parent), []).append(f)
        groups = [tuple(sorted(v, key=lambda s: Path(s).name != "song.ogg")) for _, v in sorted(by_dir.items())]
    else:
        groups = [(f,) for f in files]
    tracks = []
    for stems in groups:
        dur = min(audio_duration_s(s) for s in stems)
        if dur >= MIN_TRACK_S:
            tracks.append(Track(spec.name, stems, dur, spec.licence, spec.low_bitrate))
    return tracks


def real_cc_tracks(directory: Path = REAL_CC_DIR) -> list[Track]:
    """The five bundled CC recordings, each its own source (different performers)."""
    tracks = []
    for p in sorted(directory.glob("*.ogg")):
        lic = p.with_suffix(".txt")
        note = lic.read_text(errors="replace").splitlines()[0][:80] if lic.exists() else "see licence file"
        tracks.append(Track(f"real-cc:{p.stem}", (str(p),), audio_duration_s(str(p)), note))
    return tracks


def load_excerpt(track: Track, start_s: float, duration_s: float, sr: int = SR) -> np.ndarray:
    """Mono float32 excerpt at ``sr``, shape (round(duration_s*sr),); stems are summed."""
    n_out = int(round(duration_s * sr))
    total = np.zeros(n_out, np.float32)
    for stem in track.stems:
        x, file_sr = _read(stem, start_s, duration_s)
        if file_sr != sr:
            x = soxr.resample(x, file_sr, sr, quality="HQ").astype(np.float32)
        x = x[:n_out]
        total[: len(x)] += x
    return total


def _read(path: str, start_s: float, duration_s: float) -> tuple[np.ndarray, int]:
    try:
        info = sf.info(path)
        start = int(start_s * info.samplerate)
        x, file_sr = sf.read(
            path, start=start, frames=int(duration_s * info.samplerate) + 1, dtype="float32", always_2d=True
        )
        return to_mono(x), file_sr
    except Exception:  # noqa: BLE001 - fall back to ffmpeg for codecs libsndfile lacks
        out = subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-ss",
                f"{start_s:.3f}",
                "-t",
                f"{duration_s + 0.01:.3f}",
                "-i",
                path,
                "-ac",
                "1",
                "-ar",
                str(SR),
                "-f",
                "f32le",
                "-",
            ],
            capture_output=True,
            check=True,
        ).stdout
        return np.frombuffer(out, np.float32).copy(), SR


def assign_splits(
    sources: Sequence[str],
    *,
    low_bitrate: Sequence[str] = (),
    seed: int = 1234,
    fractions: tuple[float, float] = (0.6, 0.2),
) -> dict[str, str]:
    """Map each source package to 'train' | 'val' | 'test' (fixed seed).

    Low-bitrate packages are spread one per split first (hard negatives everywhere);
    real-cc tracks named in TEST_REAL_CC go to test; the rest are shuffled and cut by
    ``fractions`` (train, val; test gets the remainder).
    """
    rng = random.Random(seed)
    out: dict[str, str] = {}
    low = sorted(s for s in sources if s in set(low_bitrate))
    rng.shuffle(low)
    for i, s in enumerate(low):
        out[s] = SPLITS[i % 3]
    for s in sources:
        if s.startswith("real-cc:") and s.split(":", 1)[1] in TEST_REAL_CC:
            out[s] = "test"
    rest = sorted(s for s in sources if s not in out)
    cc = [s for s in rest if s.startswith("real-cc:")]
    pk = [s for s in rest if not s.startswith("real-cc:")]
    for group in (pk, cc):
        rng.shuffle(group)
        n_train = int(round(fractions[0] * len(group)))
        n_val = max(1 if len(group) >= 3 else 0, int(round(fractions[1] * len(group))))
        for i, s in enumerate(group):
            out[s] = "train" if i < n_train else ("val" if i < n_train + n_val else "test")
    return out


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", s).strip("-")[:40]


def choose_excerpts(
    tracks: Sequence[Track], n: int, window_s: float, *, seed: int = 0, skip_s: float = 5.0
) -> list[tuple[Track, float]]:
    """Up to ``n`` non-overlapping windows spread round-robin over the tracks.

    Windows start after ``skip_s`` (fade-ins) and are spaced evenly within each track.
    """
    rng = random.Random(seed)
    per_track: list[list[tuple[Track, float]]] = []
    for t in tracks:
        usable = t.duration_s - 2 * skip_s
        k = int(usable // window_s)
        if k <= 0:
            continue
        starts = [skip_s + i * (usable / k) for i in range(k)]
        rng.shuffle(starts)
        per_track.append([(t, s) for s in starts])
    order = list(range(len(per_track)))
    rng.shuffle(order)
    out: list[tuple[Track, float]] = []
    while len(out) < n and any(per_track):
        for i in order:
            if per_track[i] and len(out) < n:
                out.append(per_track[i].pop())
    return out


def collect_tracks(
    cache_dir: Path,
    *,
    packages: Sequence[PackageSpec] = PACKAGES,
    max_download_mb: Optional[float] = None,
    include_real_cc: bool = True,
    log: Callable[[str], None] = print,
) -> list[Track]:
    """Fetch every package (skipping failures and huge ones) and list their tracks."""
    tracks: list[Track] = []
    for spec in packages:
        try:
            root = fetch_package(spec, cache_dir, max_download_mb=max_download_mb)
        except RuntimeError as exc:  # notes that cannot be rendered here: say what to install
            log(f"corpus: skipped {spec.name}: {exc}")
            continue
        if root is None:
            limit = max_download_mb if max_download_mb is not None else spec.max_download_mb
            log(f"corpus: skipped {spec.name} (not downloadable or > {limit:.0f} MB)")
            continue
        found = list_tracks(spec, root)
        log(f"corpus: {spec.name}: {len(found)} tracks, {sum(t.duration_s for t in found) / 60:.0f} min")
        tracks.extend(found)
    if include_real_cc and REAL_CC_DIR.exists():
        tracks.extend(real_cc_tracks())
    return tracks


PINNED_SPLITS: dict[str, str] = {p.name: p.pinned_split for p in PACKAGES if p.pinned_split}


def default_cache_dir() -> Path:
    """$FORENSIC_APP_CACHE, else the user's cache folder (platformdirs) / dataset."""
    env = os.environ.get("FORENSIC_APP_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("forensic_app", appauthor=False)) / "dataset"
