"""Recorded singing and short, band-limited real music through the app's own analyze() (#29).

Every recording is analysed as it comes and through the paths the app meets: resampled to
16, 22.05, 24, 44.1 and 48 kHz (mono), and cut to short clips (3 s and 6 s) at its own rate
and at 16 and 22.05 kHz. Rows (one per variant: source, rate, clip length, effective
bandwidth, the detectors' readings, the verdict) go to a JSON-lines file as they come; rerun
to resume. ``fit`` (``training.singing``) sets the conditioned CNN reference of calibration.json
(short and band-limited input, ``fusion.CnnReference``) and reports, leave-one-source-out, false
positives and inconclusive shares per source, sample rate and clip length.

usage: python benchmarks/singing_study.py extract --gtsinger GIT_DIR --m4singer GIT_DIR --out DIR
       python benchmarks/singing_study.py collect --singing DIR [--corpus DIR] [--decoders] [--out FILE]
       python benchmarks/singing_study.py fit [--write-calibration]
DIR holds one folder per singing dataset (gtsinger/, m4singer/: the recordings ../shared/DATA.md
lists, extracted with ``git show``); --corpus is a folder ``forensic-app data build`` fetched
into (Debian music packages), of which a few tracks per package are cut the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forensic_app.core.analysis import analyze  # noqa: E402
from forensic_app.core.decoded import ArraySource  # noqa: E402
from forensic_app.core.scoring import window_logits_from_map  # noqa: E402

OUT = ROOT / "reports" / "evaluation" / "singing_rows.jsonl"
MD = ROOT / "reports" / "evaluation" / "singing.md"
RATES = (16000, 22050, 24000, 44100, 48000)
CLIPS_S = (3.0, 6.0)
CLIP_RATES = (None, 16000, 22050)  # None: the recording's own rate
TRACKS_PER_PACKAGE = 3
CORPUS_EXCERPT_S = 20.0  # a corpus track is first cut to this long an excerpt (mid-track)


def _resample(x: np.ndarray, sr: int, rate: int) -> np.ndarray:
    import librosa

    if rate == sr:
        return x
    return librosa.resample(x, orig_sr=sr, target_sr=rate, res_type="soxr_hq").astype(np.float32)


def variants(x: np.ndarray, sr: int, *, seed: int) -> Iterator[tuple[int, float | None, np.ndarray]]:
    """(rate, clip_s or None for the whole recording, mono samples) for every path we measure."""
    for rate in sorted({sr, *RATES}):
        yield rate, None, _resample(x, sr, rate)
    rng = np.random.default_rng(seed)
    for clip in CLIPS_S:
        n = int(clip * sr)
        if x.size <= n * 1.2:
            continue
        start = int(rng.integers(0, x.size - n))
        piece = x[start : start + n]
        for r in dict.fromkeys(sr if rate is None else rate for rate in CLIP_RATES):
            yield r, clip, _resample(piece, sr, r)


def readings_row(x: np.ndarray, rate: int, name: str) -> dict[str, Any]:
    """The app's verdict and each detector's reading on mono samples ``x`` (n,) at ``rate`` Hz."""
    res = analyze(ArraySource(x, rate, name))
    s = res.provenance.settings
    det = {d.name: d for d in res.detectors}
    comb = res.comb
    return {
        "verdict": res.verdict,
        "p": res.probability_fake,
        "learned": s["learned_probability"],
        "cnn": det["patch_cnn"].score,
        "comb": None if comb is None else float(comb.z_score),
        "comb_offset": None if comb is None else comb.line_offset_bins,
        "fakeprint": None if res.fakeprint is None or not res.fakeprint.measured else res.fakeprint.logit,
        "stationarity": s["stationarity"],
        "content_s": s["content_s"],
        "duration_s": res.input.duration_s,
        "bandwidth_hz": s["effective_bandwidth_hz"],
        "window_logits": [round(float(v), 4) for v in window_logits_from_map(res.heatmap.logits)],
        "notes": [n.code for n in res.notes],
    }


def singing_items(folder: Path) -> Iterator[tuple[str, str, Path]]:
    """(source, group, path): one source per dataset folder; group = singer where the name says it."""
    for ds in sorted(p for p in folder.iterdir() if p.is_dir()):
        for f in sorted(ds.glob("*.wav")):
            yield ds.name, f.stem.split("_")[0].split("-")[0], f


def corpus_items(folder: Path) -> Iterator[tuple[str, str, Path]]:
    from forensic_app.training import corpus

    for spec in corpus.PACKAGES:
        root = folder / "pkgs" / spec.name
        if not root.exists():
            continue
        tracks = [t for t in corpus.list_tracks(spec, root) if len(t.stems) == 1]
        tracks.sort(key=lambda t: zlib.crc32(t.stems[0].encode()))
        for t in tracks[:TRACKS_PER_PACKAGE]:
            yield spec.name, "music", Path(t.stems[0])


def _load(path: Path, source: str) -> tuple[np.ndarray, int]:
    if source in ("gtsinger", "m4singer"):
        x, sr = sf.read(str(path), dtype="float32", always_2d=True)
        return x.mean(axis=1), int(sr)
    from forensic_app.training import corpus

    x, sr = corpus._read(str(path), 0.0, 1e9)
    x = x if x.ndim == 1 else x.mean(axis=1)
    mid = max(0, x.size // 2 - int(CORPUS_EXCERPT_S * sr / 2))
    return x[mid : mid + int(CORPUS_EXCERPT_S * sr)].astype(np.float32), int(sr)


def collect(items: Iterable[tuple[str, str, Path]], out: Path, kind: str) -> None:
    done = set()
    if out.exists():
        done = {json.loads(line)["id"] for line in out.read_text().splitlines() if line.strip()}
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a") as fh:
        for source, group, path in items:
            seed = zlib.crc32(path.name.encode())
            for rate, clip, y in variants(*_load(path, source), seed=seed):
                rid = f"{kind}|{source}|{path.name}|{rate}|{clip}"
                if rid in done:
                    continue
                row = {
                    "id": rid,
                    "kind": kind,
                    "source": source,
                    "group": group,
                    "file": path.name,
                    "rate": rate,
                    "clip_s": clip,
                    **readings_row(y, rate, str(path)),
                }
                fh.write(json.dumps(row) + "\n")
                fh.flush()


def collect_decoders(out: Path) -> None:
    """The evidence study's decoder outputs (``evidence_study.fake_inputs``: two named excerpts through
    every tconv, upsampling, Lyra and HiFi-GAN decoder), as rows of this study: what the conditioned
    reference costs in detection. Never fitted on."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from evidence_study import _excerpts, decoder_output, fake_inputs, fake_name, tracks_by_source

    from forensic_app.training import kinds

    done = set()
    if out.exists():
        done = {json.loads(line)["id"] for line in out.read_text().splitlines() if line.strip()}
    with out.open("a") as fh:
        for k, src, x, spec, db in fake_inputs(_excerpts(tracks_by_source())):
            rid = f"decoder|{fake_name(spec, db)}|{k}"
            if rid in done:
                continue
            y = np.clip(decoder_output(spec, x, db, k), -1, 1).astype(np.float32)
            with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:  # the result describes a file that exists
                sf.write(tmp.name, y, kinds.SR, subtype="FLOAT")
                row = {
                    "id": rid,
                    "kind": "decoder",
                    "source": src,
                    "group": spec.family,
                    "file": f"{src}-{k}",
                    "generator": fake_name(spec, db),
                    "rate": kinds.SR,
                    "clip_s": None,
                    **readings_row(y, kinds.SR, tmp.name),
                }
            fh.write(json.dumps(row) + "\n")
            fh.flush()


# The recordings of ../shared/DATA.md ("real singing"): repository, commit, and which paths are recordings
# (never a model's output, never a vocoder resynthesis "GTvoc"). GTSinger's "*_Speech" files are the same
# singers speaking the lyrics: real recordings, kept.
SINGING_SOURCES = {
    "gtsinger": (
        "GTSinger/GTSinger.github.io",
        "8adc547f",
        r"^assets/([a-z]{2}[0-9]*_[A-Za-z]+|EN-(Alto|Tenor)-.*|svsp(en|zh)_GT|.*-Ground_Truth)-.*\.wav$",
    ),
    "m4singer": ("M4Singer/M4Singer.github.io", "e5242c04", r"^m4singer/audio/(SVS/GT|samples)/[^/]+\.wav$"),
}


def extract(mirrors: dict[str, Path], out: Path) -> None:
    """Copy the singing recordings out of the fetched demo-page repositories (git directories) into
    ``out``/<source>/, with a sources.txt naming repository, commit and path of every file."""
    import re
    import subprocess

    lines = []
    for name, (repo, commit, pattern) in SINGING_SOURCES.items():
        git = ["git", "-C", str(mirrors[name])]
        paths = [
            p
            for p in subprocess.run(
                [*git, "ls-tree", "-r", "--name-only", commit], check=True, capture_output=True, text=True
            ).stdout.splitlines()
            if re.match(pattern, p)
        ]
        (out / name).mkdir(parents=True, exist_ok=True)
        for p in paths:
            dest = (
                out / name / p.split("/", 2)[-1].replace("/", "_") if name == "m4singer" else out / name / Path(p).name
            )
            dest.write_bytes(subprocess.run([*git, "show", f"{commit}:{p}"], check=True, capture_output=True).stdout)
            lines.append(f"{name}\t{repo}@{commit}\t{p}")
        print(f"{name}: {len(paths)} recordings from {repo}@{commit}")
    (out / "sources.txt").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--singing", type=Path)
    c.add_argument("--corpus", type=Path)
    c.add_argument("--decoders", action="store_true", help="the evidence study's decoder outputs (needs the corpus)")
    c.add_argument("--out", type=Path, default=OUT)
    e = sub.add_parser("extract", help="copy the recordings out of the fetched GTSinger and M4Singer repositories")
    e.add_argument("--gtsinger", type=Path, required=True, help="git directory of GTSinger/GTSinger.github.io")
    e.add_argument("--m4singer", type=Path, required=True, help="git directory of M4Singer/M4Singer.github.io")
    e.add_argument("--out", type=Path, required=True)
    f = sub.add_parser("fit")
    f.add_argument("--rows", type=Path, default=OUT)
    f.add_argument("--write-calibration", action="store_true")
    a = ap.parse_args(argv)
    if a.cmd == "extract":
        extract({"gtsinger": a.gtsinger, "m4singer": a.m4singer}, a.out)
        return 0
    if a.cmd == "collect":
        if a.singing:
            collect(singing_items(a.singing), a.out, "singing")
        if a.corpus:
            collect(corpus_items(a.corpus), a.out, "music")
        if a.decoders:
            collect_decoders(a.out)
        return 0
    from forensic_app.core.fusion import EvidenceRules
    from forensic_app.core.weights import load_model
    from forensic_app.training import singing

    model = load_model()
    res = singing.evaluate_rows(
        singing.read_rows(a.rows), model.calibration, EvidenceRules.from_calibration(model.calibration)
    )
    text = singing.markdown(
        res, f"Model {model.manifest.name} {model.manifest.version}, calibration {model.calibration.version}.\n"
    )
    print(text)
    if a.write_calibration:
        MD.write_text(text, encoding="utf-8")
        singing.write_reference(ROOT / "weights", res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
