"""Examples of real generators, copied out of their public demo-page repositories.

``forensic-app data generators --from DIR --out DIR``: ``--from`` holds git directories of
the repositories in :data:`REPOSITORIES` (as the ``fetch`` tool leaves them,
``DIR/<owner>+<name>/repo``, or a clone at ``DIR/<owner>+<name>`` or ``DIR/<name>``); every
example the demo page attributes to a generator is copied to ``OUT/<generator>/`` and listed
in ``OUT/manifest.json`` with its repository, commit, path in the repository, sha256 and the
*group* it belongs to (one demo table, folder or song: the unit a study leaves out at once).
Files a partial copy lacks (large blobs) are listed under ``absent``.

What is copied follows ``../shared/DATA.md`` ("examples of real generators") and each page:

- ace-step/ace-step.github.io: ``opus/samples/{GeneralSongs,Experimental,Instrumentals,
  MultipleLang,RapMachine}/*.opus``: ACE-Step v1 (3.5B);
- map-yue/map-yue.github.io: the mp3s that ``index.html`` plays between its "Examples" heading
  and "Voice Cloning" (never ``music/mupt_*``, another model): YuE (s1-7B + s2-1B);
- ASLP-lab/DiffRhythm.github.io: ``raw/samples/syn/*.mp3`` (not ``prompt/``: references of
  unclear origin): DiffRhythm-base;
- AMAAI-Lab/mustango: ``samples/<folder>/*.wav`` by the column or section of ``index.html``
  that plays the folder: Mustango, Tango, MusicGen (medium) and AudioLDM2-music;
- Stability-AI/stable-audio-open-demo: the README's "Song Describer Dataset prompts" table
  (``*_sao``, ``*_sa2``, ``*_musicgen``) and its community and memorisation tables (Stable Audio
  Open); not the AudioCaps table (sound effects) nor the autoencoder reconstructions.

Nothing here decodes audio; the files are copied byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

AUDIO_SUFFIXES = (".opus", ".mp3", ".wav", ".ogg", ".flac", ".m4a")


@dataclass(frozen=True)
class GeneratorInfo:
    name: str  # profile id, e.g. "ace-step-v1"
    label: str  # as people read it
    version: str
    architecture: str  # what ends the generator: the part a fakeprint sees


GENERATORS: dict[str, GeneratorInfo] = {
    g.name: g
    for g in (
        GeneratorInfo("ace-step-v1", "ACE-Step", "v1 (3.5B)", "latent diffusion; DCAE latent decoder + vocoder"),
        GeneratorInfo(
            "yue", "YuE", "s1-7B + s2-1B", "language model over codec tokens; X-codec decoder + vocoder upsampler"
        ),
        GeneratorInfo("diffrhythm", "DiffRhythm", "base", "latent diffusion; VAE decoder (Stable Audio style)"),
        GeneratorInfo(
            "mustango", "Mustango", "pretrained / scratch", "latent diffusion on mel; HiFi-GAN vocoder (16 kHz)"
        ),
        GeneratorInfo(
            "tango", "Tango", "pretrained / MusicBench", "latent diffusion on mel; HiFi-GAN vocoder (16 kHz)"
        ),
        GeneratorInfo(
            "musicgen-medium", "MusicGen", "medium", "language model over EnCodec 32 kHz tokens; EnCodec decoder"
        ),
        GeneratorInfo("audioldm2-music", "AudioLDM2", "music", "latent diffusion on mel; HiFi-GAN vocoder (16 kHz)"),
        GeneratorInfo(
            "stable-audio-open", "Stable Audio Open", "1.0", "latent diffusion; Oobleck VAE decoder (44.1 kHz)"
        ),
        GeneratorInfo("stable-audio-2", "Stable Audio", "2.0", "latent diffusion; VAE decoder (44.1 kHz)"),
        GeneratorInfo(
            "musicgen-large", "MusicGen", "large stereo", "language model over EnCodec 32 kHz tokens; EnCodec decoder"
        ),
    )
}


@dataclass(frozen=True)
class Example:
    generator: str
    group: str  # the unit left out together (a demo table, a folder, one song's versions)
    repository: str
    commit: str
    path: str  # inside the repository
    file: str = ""  # where it was copied, relative to the output folder
    sha256: str = ""
    n_bytes: int = 0


def _git(git_dir: Path, *args: str, binary: bool = False):
    out = subprocess.run(["git", "-C", str(git_dir), *args], capture_output=True, check=True)
    return out.stdout if binary else out.stdout.decode("utf-8", "replace")


def _ls_tree(git_dir: Path) -> dict[str, int | None]:
    """path -> size in bytes (None where the blob is absent from this copy)."""
    out: dict[str, int | None] = {}
    raw = _git(git_dir, "ls-tree", "-r", "-l", "-z", "HEAD", binary=True)
    for entry in raw.split(b"\0"):
        if not entry:
            continue
        meta, path = entry.split(b"\t", 1)
        size = meta.split()[3]
        out[path.decode("utf-8", "replace")] = int(size) if size.isdigit() else None
    return out


def _show(git_dir: Path, path: str) -> str:
    return _git(git_dir, "show", f"HEAD:{path}")


# ---- one selector per repository: (git dir) -> [(generator, group, path)] -------------------


def _ace_step(git_dir: Path) -> list[tuple[str, str, str]]:
    folders = ("GeneralSongs", "Experimental", "Instrumentals", "MultipleLang", "RapMachine")
    out = []
    for p in sorted(_ls_tree(git_dir)):
        parts = p.split("/")
        if len(parts) == 4 and parts[:2] == ["opus", "samples"] and parts[2] in folders and p.endswith(".opus"):
            out.append(("ace-step-v1", f"ace-step:{parts[2]}", p))
    return out


def _yue_group(stem: str) -> str:
    base = stem.split(".")[0]
    return re.sub(r"\d+$", "", base).rstrip("_") or base


def _yue(git_dir: Path) -> list[tuple[str, str, str]]:
    html = _show(git_dir, "index.html")
    start = html.find(">Examples<")
    end = html.find("Voice Cloning", start)
    section = html[start:end] if start >= 0 else ""
    seen, out = set(), []
    for src in re.findall(r'src="([^"]+\.mp3)"', section):
        src = src.strip().lstrip("./")
        if src in seen or Path(src).name.startswith("mupt_"):
            continue
        seen.add(src)
        out.append(("yue", f"yue:{_yue_group(Path(src).stem)}", src))
    return out


def _diffrhythm_group(stem: str) -> str:
    return re.sub(r"(_(country|jazz|pop|rock|classic))?_last_\d+$", "", stem)


def _diffrhythm(git_dir: Path) -> list[tuple[str, str, str]]:
    out = []
    for p in sorted(_ls_tree(git_dir)):
        if p.startswith("raw/samples/syn/") and p.count("/") == 3 and p.endswith(".mp3"):
            out.append(("diffrhythm", f"diffrhythm:{_diffrhythm_group(Path(p).stem)}", p))
    return out


# index.html's columns and sections, folder by folder
MUSTANGO_FOLDERS = {
    "samples2": "mustango",
    "CrazytestMustangoP": "mustango",
    "CommunitySamples": "mustango",
    "mustango-pretrained": "mustango",
    "mustango-scratch": "mustango",
    "tango-pretrained": "tango",
    "tango-pretrained-musicbench": "tango",
    "musicgen-expert": "musicgen-medium",
    "audioldm2-expert": "audioldm2-music",
}


def _mustango(git_dir: Path) -> list[tuple[str, str, str]]:
    html = _show(git_dir, "index.html")
    shown = {m.strip().split("/")[1] for m in re.findall(r'src="\s*(samples/[^/"]+)/[^"]+\.wav"', html)}
    out = []
    for p in sorted(_ls_tree(git_dir)):
        parts = p.split("/")
        if (
            len(parts) == 3
            and parts[0] == "samples"
            and p.endswith(".wav")
            and parts[1] in MUSTANGO_FOLDERS
            and parts[1] in shown
        ):
            out.append((MUSTANGO_FOLDERS[parts[1]], f"mustango:{parts[1]}", p))
    return out


def _stable_audio(git_dir: Path) -> list[tuple[str, str, str]]:
    readme = _show(git_dir, "README.md")
    sections = re.split(r"^## ", readme, flags=re.MULTILINE)
    out = []
    for sec in sections:
        title = sec.splitlines()[0].strip().lower() if sec.strip() else ""
        srcs = re.findall(r'src="([^"]+\.mp3)"', sec)
        if title.startswith("generations from song describer"):
            for s in srcs:
                stem = Path(s).stem
                gen = {"sao": "stable-audio-open", "sa2": "stable-audio-2", "musicgen": "musicgen-large"}.get(
                    stem.rsplit("_", 1)[-1]
                )
                if gen:
                    out.append((gen, f"stable-audio:song-describer:{gen}", s))
        elif title.startswith(("generations by the community", "memorization")):
            tag = "community" if "community" in title else "memorisation"
            out += [("stable-audio-open", f"stable-audio:{tag}", s) for s in srcs]
    return out


REPOSITORIES: dict[str, Callable[[Path], list[tuple[str, str, str]]]] = {
    "ace-step/ace-step.github.io": _ace_step,
    "map-yue/map-yue.github.io": _yue,
    "ASLP-lab/DiffRhythm.github.io": _diffrhythm,
    "AMAAI-Lab/mustango": _mustango,
    "Stability-AI/stable-audio-open-demo": _stable_audio,
}


def find_git_dir(root: Path, repository: str) -> Path | None:
    owner, name = repository.split("/")
    for cand in (root / f"{owner}+{name}" / "repo", root / f"{owner}+{name}", root / name, root / repository):
        if cand.is_dir():
            try:
                _git(cand, "rev-parse", "HEAD")
                return cand
            except (subprocess.CalledProcessError, OSError):
                continue
    return None


def _safe_name(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", path.replace("/", "__"))[-150:]


def collect_examples(from_dir: Path, out_dir: Path, *, log: Callable[[str], None] = print) -> dict:
    """Copy every example out of the git directories under ``from_dir``; write and return the manifest.

    Returns ``{"examples": [Example as dict], "absent": [...], "missing_repositories": [...]}``.
    Files already copied with the right sha256 are kept (the step can be rerun).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    examples: list[Example] = []
    absent: list[dict] = []
    missing: list[str] = []
    for repository, select in REPOSITORIES.items():
        git_dir = find_git_dir(from_dir, repository)
        if git_dir is None:
            missing.append(repository)
            log(f"generators: {repository}: no git directory under {from_dir} (fetch it first)")
            continue
        commit = _git(git_dir, "rev-parse", "HEAD").strip()
        sizes = _ls_tree(git_dir)
        n = 0
        for generator, group, path in select(git_dir):
            if sizes.get(path) is None:
                absent.append({"generator": generator, "repository": repository, "commit": commit, "path": path})
                continue
            data = _git(git_dir, "show", f"HEAD:{path}", binary=True)
            rel = f"{generator}/{_safe_name(path)}"
            target = out_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256(data).hexdigest()
            if not (target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == digest):
                tmp = target.with_name(target.name + ".part")
                tmp.write_bytes(data)
                tmp.replace(target)
            examples.append(Example(generator, group, repository, commit, path, rel, digest, len(data)))
            n += 1
        log(f"generators: {repository} @ {commit[:8]}: {n} examples")
    manifest = {
        "examples": [asdict(e) for e in examples],
        "absent": absent,
        "missing_repositories": missing,
        "generators": {k: asdict(v) for k, v in GENERATORS.items()},
    }
    tmp = out_dir / "manifest.json.part"
    tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    tmp.replace(out_dir / "manifest.json")
    return manifest


def read_manifest(out_dir: Path) -> list[Example]:
    data = json.loads((out_dir / "manifest.json").read_text())
    return [Example(**e) for e in data["examples"]]
