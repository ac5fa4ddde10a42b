"""The command line answers at once, and the window refuses cleanly without a screen."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from forensic_app.gui.display import display_problem

HEAVY = ("torch", "scipy", "librosa", "sklearn", "matplotlib", "PySide6", "forensic_app.training")


def _heavy_after(code: str) -> list[str]:
    probe = (
        f"import sys; {code}; "
        f"print('HEAVY:', *(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m in {HEAVY!r}))"
    )
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.rsplit("HEAVY:", 1)[1].split()


def test_importing_the_cli_imports_no_torch():
    assert _heavy_after("import forensic_app.cli") == []


def test_version_and_help_import_nothing_heavy():
    for args in (["--version"], ["--help"]):
        code = f"import contextlib, forensic_app.cli as c\nwith contextlib.suppress(SystemExit): c.main({args!r})"
        assert _heavy_after(f"exec({code!r})") == [], args


def test_version_answers_quickly():
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "forensic_app", "--version"], capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - t0
    assert r.returncode == 0 and "forensic-app" in r.stdout
    assert elapsed < 2.0, f"--version took {elapsed:.2f} s"  # about 0.1 s; the margin is for a loaded CI machine


def test_help_still_lists_the_training_commands():
    r = subprocess.run([sys.executable, "-m", "forensic_app", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    for name in ("analyze", "report", "gui", "data", "train", "calibrate", "evaluate"):
        assert name in r.stdout


def test_training_subcommand_gets_its_full_options(capsys):
    from forensic_app.cli import main

    try:
        main(["train", "--help"])
    except SystemExit as stop:
        assert stop.code == 0
    assert "--steps" in capsys.readouterr().out


def test_display_problem_only_without_any_display():
    assert display_problem({}, "linux")
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "win32") is None and display_problem({}, "darwin") is None


def test_gui_without_display_exits_2_with_advice():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    r = subprocess.run(
        [sys.executable, "-m", "forensic_app", "gui"], capture_output=True, text=True, env=env, timeout=60
    )
    if not sys.platform.startswith("linux"):
        return
    assert r.returncode == 2, r.stderr
    assert "no display" in r.stderr and "QT_QPA_PLATFORM=offscreen" in r.stderr and "forensic-app analyze" in r.stderr
    assert "Traceback" not in r.stderr


def _no_display(monkeypatch, tmp_path):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_a_mistyped_command_is_named_not_taken_for_a_file(monkeypatch, tmp_path, capsys):
    """`forensic-app analyse song.wav` (British spelling) used to start the window on a file called 'analyse'."""
    from forensic_app.cli import main

    _no_display(monkeypatch, tmp_path)
    (tmp_path / "song.wav").write_bytes(b"RIFF")
    assert main(["analyse", "song.wav"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown command 'analyse' (did you mean 'analyze'?)") and err.count("\n") == 1
    assert "display" not in err
    assert main(["Batch", "song.wav"]) == 2
    assert "(did you mean 'batch'?)" in capsys.readouterr().err


def test_an_unknown_word_nothing_like_a_command_lists_the_commands(monkeypatch, tmp_path, capsys):
    from forensic_app.cli import main

    _no_display(monkeypatch, tmp_path)
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'frobnicate'" in err and "did you mean" not in err
    assert "analyze, batch, case, report, gui" in err and err.count("\n") == 1


def test_an_existing_file_or_folder_as_first_word_still_opens_the_window(monkeypatch, tmp_path, capsys):
    from forensic_app.cli import main

    _no_display(monkeypatch, tmp_path)
    (tmp_path / "analyse").write_bytes(b"RIFF")  # a file that happens to look like a typo is still a file
    (tmp_path / "uploads").mkdir()
    for word in ("analyse", "uploads"):
        assert main([word]) == 2
        err = capsys.readouterr().err
        assert "no display" in err and "unknown command" not in err, word


def test_a_missing_file_as_first_word_says_so(monkeypatch, tmp_path, capsys):
    from forensic_app.cli import main

    _no_display(monkeypatch, tmp_path)
    assert main(["sonng.mp3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no file or folder 'sonng.mp3' here: check the path") and "display" not in err
