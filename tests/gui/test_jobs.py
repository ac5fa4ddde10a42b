"""The one job type: every background task ends with one signal, a newer job supersedes an older
one on a latest-only runner, and what a superseded job still sends never reaches the window."""

from __future__ import annotations

import threading
import time

from forensic_app.core.errors import Cancelled, ForensicError, UnusableInputError
from forensic_app.core.progress import Progress
from forensic_app.gui.jobs import JobFailed, JobRunner, file_errors_in_words

WAIT_MS = 10000


def recorder(runner: JobRunner) -> list:
    """Every signal the runner re-emits on the GUI thread, as (name, job id, args...)."""
    seen: list = []
    for name in ("progressed", "yielded", "succeeded", "failed", "cancelled"):
        getattr(runner, name).connect(lambda *args, n=name: seen.append((n, *args)))
    return seen


def waiting_job(started: threading.Event, saw_cancel: list):
    def run(job):
        job.send("half-way")
        started.set()
        while not job.token.cancelled:
            time.sleep(0.01)
        saw_cancel.append(job.id)
        job.send("after the cancel")
        return "stale result"  # returned anyway: the runner must drop it

    return run


def test_a_newer_job_supersedes_the_older_and_nothing_stale_arrives(qtbot):
    runner = JobRunner("forensic-test-latest", latest_only=True)
    seen = recorder(runner)
    try:
        started, saw_cancel = threading.Event(), []
        first = runner.submit(waiting_job(started, saw_cancel), "waiting")
        assert started.wait(5)
        second = runner.submit(lambda job: "fresh result", "answering")
        qtbot.waitUntil(lambda: any(s[0] == "succeeded" for s in seen), timeout=WAIT_MS)
        assert saw_cancel == [first]  # the older job was told to stop
        assert ("succeeded", second, "fresh result") in seen
        assert not [s for s in seen if s[1] == first and s[0] != "yielded"]  # no final signal of the first
        assert ("yielded", first, "after the cancel") not in seen
    finally:
        runner.shutdown()


def test_each_job_ends_with_one_signal_and_says_what_went_wrong(qtbot, capsys):
    runner = JobRunner("forensic-test-tasks")
    seen = recorder(runner)

    def unusable(job):
        job.stage = "load"
        raise UnusableInputError("x.wav is empty. Choose another file.")

    def cancelled(_job):
        raise Cancelled()

    def reported(job):
        on_progress = job.reporter(0.5, 1.0)
        on_progress(Progress(0.0, "Half"))
        on_progress(Progress(1.0, "Half"))
        return 42

    def disk_full(_job):
        raise OSError(28, "No space left on device", "/tmp/r.pdf")

    try:
        gate = threading.Event()
        blocker = runner.submit(lambda job: gate.wait(5) and "unblocked", "blocking")
        queued = runner.submit(lambda job: "never runs", "queued")
        runner.cancel(queued)  # cancelled while still queued: it never runs
        ids = {
            "ok": runner.submit(reported, "reporting"),
            "input": runner.submit(unusable, "reading the file"),
            "model": runner.submit(lambda job: (_ for _ in ()).throw(ForensicError("Reinstall the app.")), "x"),
            "words": runner.submit(lambda job: (_ for _ in ()).throw(JobFailed("Said as it is.")), "x"),
            "cancel": runner.submit(cancelled, "x"),
            "bug": runner.submit(lambda job: 1 / 0, "dividing"),
            "disk": runner.submit(file_errors_in_words(disk_full), "writing the report"),
        }
        gate.set()
        finals = ("succeeded", "failed", "cancelled")
        qtbot.waitUntil(lambda: sum(s[0] in finals for s in seen) == 9, timeout=WAIT_MS)
        ends = {s[1]: s[0:1] + s[2:] for s in seen if s[0] in finals}
        assert ends[blocker] == ("succeeded", "unblocked") and ends[queued] == ("cancelled",)
        assert ends[ids["ok"]] == ("succeeded", 42)
        assert ("progressed", ids["ok"], 0.5, "Half") in seen and ("progressed", ids["ok"], 1.0, "Half") in seen
        assert ends[ids["input"]] == ("failed", "x.wav is empty. Choose another file.", "load-input")
        assert ends[ids["model"]] == ("failed", "Reinstall the app.", "")
        assert ends[ids["words"]] == ("failed", "Said as it is.", "")
        assert ends[ids["cancel"]] == ("cancelled",)
        assert (
            ends[ids["bug"]][0] == "failed"
            and "Unexpected problem while dividing: ZeroDivisionError" in ends[ids["bug"]][1]
        )
        assert "Traceback" in capsys.readouterr().err  # for the bug report
        assert ends[ids["disk"]] == ("failed", "Could not write /tmp/r.pdf: No space left on device.", "")
    finally:
        runner.shutdown()


def test_shutdown_cancels_the_running_job_and_joins_its_thread(qtbot):
    runner = JobRunner("forensic-test-shutdown")
    started, saw_cancel = threading.Event(), []
    runner.submit(waiting_job(started, saw_cancel), "waiting")
    assert started.wait(5)
    runner.shutdown()
    assert saw_cancel and not runner.thread.isRunning()
