"""``forensic-app data generators``: examples copied out of demo-page git directories, as their pages label them."""

from __future__ import annotations

import json
import subprocess

from forensic_app.training.commands import main


def _repo(root, name: str, files: dict[str, bytes]) -> None:
    d = root / name / "repo"
    for path, data in files.items():
        (d / path).parent.mkdir(parents=True, exist_ok=True)
        (d / path).write_bytes(data)
    git = ["git", "-C", str(d), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(d)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "demo"], check=True)


def test_examples_follow_the_demo_pages(tmp_path, capsys):
    mustango_html = (
        b'<h2>Mustango generated samples:</h2><source src="samples/samples2/output_1.wav">'
        b'<th>MusicGen</th><source src="samples/musicgen-expert/output_0.wav">'
        b'<source src=" samples/tango-pretrained/output_0.wav">'
    )
    _repo(
        tmp_path,
        "AMAAI-Lab+mustango",
        {
            "index.html": mustango_html,
            "samples/samples2/output_1.wav": b"m1",
            "samples/musicgen-expert/output_0.wav": b"mg",
            "samples/tango-pretrained/output_0.wav": b"t0",
            "samples/not-on-the-page/output_0.wav": b"xx",
        },
    )
    yue_html = (
        b'<h2 class="title">Examples</h2><source src="music/soul.mp3"><source src="music/mupt_1.mp3">'
        b'<source src="music/I_wont_back_down2.pop.mp3"><h2>Voice Cloning</h2><source src="music/clone.mp3">'
    )
    _repo(
        tmp_path,
        "map-yue+map-yue.github.io",
        {
            "index.html": yue_html,
            "music/soul.mp3": b"s",
            "music/mupt_1.mp3": b"m",
            "music/I_wont_back_down2.pop.mp3": b"i",
            "music/clone.mp3": b"c",
        },
    )
    out = tmp_path / "out"
    assert main(["generators", "--from", str(tmp_path), "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    got = {(e["generator"], e["path"]) for e in manifest["examples"]}
    assert got == {
        ("mustango", "samples/samples2/output_1.wav"),
        ("musicgen-medium", "samples/musicgen-expert/output_0.wav"),
        ("tango", "samples/tango-pretrained/output_0.wav"),
        ("yue", "music/soul.mp3"),
        ("yue", "music/I_wont_back_down2.pop.mp3"),
    }
    e = next(e for e in manifest["examples"] if e["path"] == "music/I_wont_back_down2.pop.mp3")
    assert (
        e["repository"] == "map-yue/map-yue.github.io"
        and len(e["commit"]) == 40
        and e["group"] == "yue:I_wont_back_down"
    )
    assert (out / e["file"]).read_bytes() == b"i"
    assert "ace-step/ace-step.github.io" in manifest["missing_repositories"]
    assert "yue: 2" in capsys.readouterr().out
