"""What the window's jobs do off the GUI thread: decode and analyse a track, draw a finer
spectrogram of a zoomed-in range, check robustness, write a report, teach a generator profile.

Each ``*_job(...)`` returns a function of a :class:`~.jobs.Job` for
:meth:`~.jobs.JobRunner.submit`; it runs on the runner's thread, checks the job's cancel token
and touches no widget. :class:`Backend` is the core the jobs call; tests replace it with a
fake of the same shape.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..core.progress import CancelToken, Progress
from .jobs import Job, JobFailed, file_errors_in_words

LOAD_SHARE = 0.1  # part of the progress bar for decoding + display spectrogram
DETAIL_BLOCK_FRAMES = 1 << 20  # the detail view reads the decoded copy in blocks this long (bounded memory)


class Backend:
    """The core functions the window needs. Tests replace it with a fake of the same shape."""

    def __init__(self, weights_dir: Optional[str] = None):
        self.weights_dir = weights_dir
        self._analyzer = None

    @property
    def analyzer(self):
        """The window's :class:`~forensic_app.api.Analyzer`: the model bundle, loaded on first use and then kept."""
        if self._analyzer is None:
            from ..api import Analyzer

            self._analyzer = Analyzer(self.weights_dir)
        return self._analyzer

    def load(
        self, path: str, cancel: Optional[CancelToken] = None, on_fraction: Optional[Callable[[float], None]] = None
    ):
        """The file decoded once to disk (:class:`~forensic_app.core.decoded.DecodedAudio`), with its overview."""
        from ..core.decoded import decode_to_disk

        return decode_to_disk(path, cancel, on_fraction)

    def analyze(self, audio: Any, *, on_progress, cancel):
        return self.analyzer.analyze(audio, on_progress=on_progress, cancel=cancel)

    def check_robustness(self, audio: Any, *, on_progress, cancel):
        return self.analyzer.check_robustness(audio, on_progress=on_progress, cancel=cancel)


def analysis_job(backend: Backend, path: str) -> Callable[[Job], Any]:
    """Decode ``path`` to disk, send the DecodedAudio (its overview is drawn at once), then return
    its AnalysisResult. A failure's stage is "load" or "analysis"."""

    def run(job: Job) -> Any:
        job.stage, job.what = "load", "reading the file"
        try:
            job.progress(0.0, "Decoding")
            decoding = job.reporter(0.0, LOAD_SHARE)
            audio = backend.load(path, job.token, lambda f: decoding(Progress(f, "Decoding")))
            job.token.raise_if_cancelled()
            job.send(audio)
            job.stage, job.what = "analysis", "analysing the file"
            result = backend.analyze(audio, on_progress=job.reporter(LOAD_SHARE, 1.0), cancel=job.token)
            job.token.raise_if_cancelled()
            return result
        except MemoryError:
            raise JobFailed("Not enough memory to analyse this file. Close other programs or try a shorter excerpt.")

    return run


def detail_job(
    audio: Any, start_s: float, end_s: float, n_cols: int, n_fft: Optional[int] = None
) -> Callable[[Job], Any]:
    """A finer spectrogram of [start_s, end_s] of ``audio`` (a DecodedAudio) in about ``n_cols``
    columns of ``n_fft``-sample frames (default: the overview's), with absolute time edges; None
    when the range is too short to draw."""

    def run(job: Job) -> Any:
        from ..core.spectrogram import DISPLAY_N_FFT, display_spectrogram_of_range

        job.what = "drawing the zoomed-in spectrogram"
        return display_spectrogram_of_range(
            audio.mono,
            audio.rate,
            audio.n_frames,
            start_s,
            end_s,
            n_fft=n_fft or DISPLAY_N_FFT,
            max_columns=max(n_cols, 16),
            min_hop=64,
            cancel=job.token,
            block_frames=DETAIL_BLOCK_FRAMES,
        )

    return run


def overview_job(audio: Any, n_fft: int) -> Callable[[Job], Any]:
    """The whole-track display spectrogram of ``audio`` with ``n_fft``-sample frames (the window's
    FFT size: the picture only; the analysis keeps the model's own)."""

    def run(job: Job) -> Any:
        from ..core.spectrogram import display_spectrogram_of_range

        job.what = "drawing the spectrogram"
        return display_spectrogram_of_range(
            audio.mono,
            audio.rate,
            audio.n_frames,
            0.0,
            audio.n_frames / audio.rate,
            n_fft=n_fft,
            cancel=job.token,
            block_frames=DETAIL_BLOCK_FRAMES,
        )

    return run


def waveform_detail_job(audio: Any, start_s: float, end_s: float, n_cols: int) -> Callable[[Job], Any]:
    """A min/max/RMS envelope of [start_s, end_s] of ``audio`` in ``n_cols`` columns (the waveform
    lane zoomed in), read in bounded blocks; None when the range lies outside the file."""

    def run(job: Job) -> Any:
        from ..core.waveform import envelope_from_reader

        job.what = "drawing the zoomed-in waveform"
        end = min(end_s, audio.n_frames / audio.rate)
        if end <= max(0.0, start_s):
            return None

        def read(start: int, n: int) -> Any:
            job.token.raise_if_cancelled()
            return audio.read(start, n)

        return envelope_from_reader(read, audio.rate, audio.n_frames, max(0.0, start_s), end, n_cols)

    return run


def robustness_job(backend: Backend, audio: Any) -> Callable[[Job], Any]:
    """The robustness rows of ``audio`` (core.robustness.check_robustness)."""
    return file_errors_in_words(
        lambda job: backend.check_robustness(audio, on_progress=job.reporter(), cancel=job.token)
    )


def report_job(write: Callable[..., Any], result: Any, path: str, overwrite: bool) -> Callable[[Job], Any]:
    """Write the report of ``result`` to ``path``; returns the path."""
    return file_errors_in_words(lambda _job: write(result, path, overwrite=overwrite) or path)


def teach_job(teach: Callable[..., Any], name: str, files: list[str], notes: str) -> Callable[[Job], Any]:
    """A generator profile taught from ``files`` (``teach``: profile_command.teach_from_files or a
    stand-in of its shape); returns its TeachOutcome (a refusal is an outcome, not a failure)."""

    def run(job: Job) -> Any:
        job.what = "teaching the generator profile"
        return teach(name, list(files), notes=notes, on_progress=job.reporter(), cancel=job.token)

    return file_errors_in_words(run)
