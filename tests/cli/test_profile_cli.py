"""``forensic-app profile``: teach, list, show, export, import, remove; refusals exit 2 with one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from forensic_app.cli import main
from forensic_app.training.profile_data import Reading, fakeprint_variant, save_table
from forensic_app.training.synth import music_like

RATE = 16000


def decoder_output(seed: int) -> np.ndarray:
    """Lines at the multiples of 600 Hz whatever is played: a stand-in for a hop-40 decoder at 24 kHz."""
    x = music_like(12.0, RATE, seed=seed)
    t = np.arange(x.size) / RATE
    return (0.9 * x + 0.004 * sum(np.sin(2 * np.pi * k * 600 * t + k) for k in range(2, 14))).astype(np.float32)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("profile_cli")
    gen = []
    for i in range(5):
        p = d / f"toy-decoder-{i}-16000-1-16.wav"
        sf.write(p, decoder_output(i), RATE, subtype="PCM_16")
        gen.append(str(p))
    real = []
    for i in range(5):
        p = d / f"music-like-{i}-16000-1-16.wav"
        sf.write(p, music_like(12.0, RATE, seed=9000 + i), RATE, subtype="PCM_16")
        real.append(str(p))
    rows, X = [], []
    codecs = ("mp3-128k", "aac-128k", "opus-64k")
    for s in range(6):
        for i in range(6):
            x = music_like(12.0, RATE, seed=1000 + 100 * s + i)
            for variant in ("orig", codecs[(s + i) % 3]):  # the reference holds the codecs examples are read through
                rows.append(Reading(f"mem:{s}/{i}", f"source-{s}", "real", variant, group=f"source-{s}"))
                X.append(fakeprint_variant(x, RATE, variant))
    ref = d / "reference.npz"
    save_table(ref, rows, np.asarray(X))
    (d / "profile_teaching.json").write_text(json.dumps({"chain_key": "lattice_enrichment", "chain_min": 4.13}))
    return {"gen": gen, "real": real, "ref": str(ref), "dir": d}


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FORENSIC_APP_DATA_DIR", str(tmp_path))
    return tmp_path


def _one_line_refusal(capsys, rc: int, *words: str) -> None:
    """Exit 2 and one 'profile:' line on stderr, holding one of ``words``."""
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert [line for line in err if line.startswith("profile:")] == [err[-1]] and any(w in err[-1] for w in words)


def test_teach_list_show_export_import_remove(files, data_dir, capsys, tmp_path):
    rc = main(
        [
            "profile",
            "add",
            "Toy decoder",
            *files["gen"],
            "--notes",
            "from the demo",
            "--json",
            "--reference",
            files["ref"],
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    made = json.loads(out)
    assert made["name"] == "Toy decoder" and made["n_examples"] == 5 and len(made["sha256"]) == 64
    assert (data_dir / "profiles" / "Toy_decoder.json").exists()
    assert main(["profile", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    mine = [p for p in listed if p["kind"] == "user"]
    assert [p["name"] for p in mine] == ["Toy decoder"] and mine[0]["notes"] == "from the demo"
    # the built-in profiles are listed too, each once, before the user's
    assert {p["kind"] for p in listed[: len(listed) - 1]} == {"built-in"} and len(listed) >= 2
    assert main(["profile", "show", "Toy decoder"]) == 0
    shown = capsys.readouterr().out
    assert "toy-decoder-0-16000-1-16.wav" in shown and made["sha256"] in shown
    exported = tmp_path / "toy.json"
    assert main(["profile", "export", "Toy decoder", "-o", str(exported)]) == 0
    _one_line_refusal(capsys, main(["profile", "import", str(exported)]), "exists already")
    assert main(["profile", "remove", "Toy decoder"]) == 0
    assert main(["profile", "import", str(exported)]) == 0
    capsys.readouterr()
    data = json.loads(exported.read_text())
    data["threshold_logit"] = -99.0
    exported.write_text(json.dumps(data))
    main(["profile", "remove", "Toy decoder"])
    capsys.readouterr()
    _one_line_refusal(capsys, main(["profile", "import", str(exported)]), "seal")


def test_refusals_exit_2_with_one_line(files, data_dir, capsys):
    _one_line_refusal(
        capsys, main(["profile", "add", "two", *files["gen"][:2], "--reference", files["ref"]]), "at least 3"
    )
    _one_line_refusal(
        capsys,
        main(["profile", "add", "songs", *files["real"], "--reference", files["ref"]]),
        "cannot be told apart from real music",
        "production chain",
    )
    _one_line_refusal(
        capsys, main(["profile", "add", "../x", *files["gen"], "--reference", files["ref"]]), "not a usable name"
    )
    assert not list((data_dir / "profiles").glob("*.json")) if (data_dir / "profiles").exists() else True


def test_the_same_file_twice_counts_once(files, data_dir, capsys):
    rc = main(["profile", "add", "dup", files["gen"][0], files["gen"][0], files["gen"][1], "--reference", files["ref"]])
    err = capsys.readouterr().err
    assert "the same file as" in err
    assert rc == 2 and "at least 3" in err.strip().splitlines()[-1]
