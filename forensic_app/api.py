"""The public API: what a script, a moderation server or a notebook uses (the CLI and the window
are clients of the same objects).

    >>> from forensic_app.api import Analyzer
    >>> analyzer = Analyzer()                       # loads and verifies the model bundle once
    >>> result = analyzer.analyze(demo_track())     # doctest: +SKIP
    >>> result.verdict, round(result.probability_fake, 3)  # doctest: +SKIP
    ('no_traces_found', 0.019)

Everything here is headless (no Qt). Names:

- :class:`Analyzer`: one model bundle, loaded once; ``analyze``, ``measure`` / ``interpret``,
  ``check_robustness``;
- :func:`analyze`: one file with the shipped model (``Analyzer().analyze``);
- :func:`write_report`: the PDF recourse report of a result;
- :class:`CancelToken`, :class:`Progress`: cancel long work from another thread, follow its progress;
- the errors: :class:`UnusableInputError` (the file cannot be analysed: the message says why and
  what to do), :class:`ModelError` / :class:`BundleError` (the model bundle is damaged or not the
  released one), :class:`Cancelled`, :class:`ReportError` (the report cannot be written there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from .core.analysis import (
    Measurements,
    analyze as _analyze,
    interpret as _interpret,
    measure as _measure,
    reproduce_command,
)
from .core.decoded import PcmSource
from .core.errors import BundleError, Cancelled, ModelError, UnusableInputError
from .core.progress import CancelToken, Progress, ProgressCallback
from .core.result import AnalysisResult
from .core.weights import LoadedModel, load_model
from .report.pdf import ReportError, write_report
from .resources import demo_track

__all__ = [
    "Analyzer",
    "analyze",
    "write_report",
    "demo_track",
    "AnalysisResult",
    "Measurements",
    "CancelToken",
    "Progress",
    "UnusableInputError",
    "ModelError",
    "BundleError",
    "Cancelled",
    "ReportError",
]


class Analyzer:
    """One model bundle, loaded and verified once, and everything that analyses with it.

    Parameters
    ----------
    weights_dir : str or Path, optional
        A model bundle folder (``weights/manifest.json`` and the files it seals). None: the shipped bundle.
    allow_modified : bool, optional
        Run a bundle that is not the released one; every result then says "modified model". None:
        the ``FORENSIC_APP_ALLOW_MODIFIED_MODEL`` environment variable decides.
    user_profiles : bool, optional
        Apply the generator profiles taught on this computer (``forensic-app profile add``) beside the
        built-in ones. None: yes, unless ``FORENSIC_APP_NO_USER_PROFILES=1`` (``--no-user-profiles``).

    Raises
    ------
    ModelError, BundleError
        The bundle is missing, damaged, or (without ``allow_modified``) not the released one.

    Examples
    --------
    >>> from forensic_app.api import Analyzer, demo_track
    >>> analyzer = Analyzer()
    >>> analyzer.model.manifest.name
    'forensic-patchcnn-comb'
    >>> result = analyzer.analyze(demo_track())  # doctest: +SKIP
    """

    def __init__(
        self,
        weights_dir: Optional[str | Path] = None,
        *,
        allow_modified: Optional[bool] = None,
        user_profiles: Optional[bool] = None,
    ):
        self.weights_dir = weights_dir
        self.allow_modified = allow_modified
        self.user_profiles = user_profiles
        self.model: LoadedModel = load_model(weights_dir, allow_modified=allow_modified)

    def analyze(
        self,
        source: str | Path | PcmSource,
        *,
        on_progress: Optional[ProgressCallback] = None,
        cancel: Optional[CancelToken] = None,
    ) -> AnalysisResult:
        """Analyse one audio file (or decoded samples).

        Parameters
        ----------
        source : str, Path or PcmSource
            An audio file (WAV, FLAC, Ogg, Opus, MP3, M4A...; decoded block by block in bounded
            memory), or samples already decoded (``core.decoded.ArraySource(x, rate, path)``,
            ``x`` of shape (n,) or (n, channels), float32 at ``rate`` Hz).
        on_progress : callable, optional
            Called with :class:`Progress` (``fraction`` 0..1, ``stage``), from any thread.
        cancel : CancelToken, optional
            ``cancel.cancel()`` from another thread stops the analysis with :class:`Cancelled`.

        Returns
        -------
        AnalysisResult
            ``verdict`` ("likely_fake", "inconclusive", "no_traces_found"), ``probability_fake`` and
            ``interval`` (0..1), ``windows`` (about 3 s each), ``heatmap``, ``detectors``, ``notes``,
            ``provenance``; ``to_json_dict()`` is the CLI's JSON.

        Raises
        ------
        UnusableInputError, Cancelled
        """
        return _analyze(
            source,
            weights_dir=self.weights_dir,
            on_progress=on_progress,
            cancel=cancel,
            allow_modified=self.allow_modified,
            user_profiles=self.user_profiles,
        )

    def measure(
        self,
        source: str | Path | PcmSource,
        *,
        on_progress: Optional[ProgressCallback] = None,
        cancel: Optional[CancelToken] = None,
    ) -> Measurements:
        """The streaming half of :meth:`analyze`: what the detectors read, before any scoring."""
        return _measure(source, self.model, on_progress=on_progress, cancel=cancel)

    def interpret(self, measurements: Measurements) -> AnalysisResult:
        """The pure half of :meth:`analyze`: measurements -> the result users see (no audio, no I/O)."""
        from .core.profiles import load_user_profiles, user_profiles_enabled

        mine = user_profiles_enabled(self.user_profiles)
        return _interpret(
            measurements,
            self.model,
            command=reproduce_command(measurements.path, self.weights_dir, self.model.modified, mine),
            user_profiles=load_user_profiles() if mine else (),
        )

    def check_robustness(
        self,
        source: str | Path | PcmSource,
        *,
        on_progress: Optional[ProgressCallback] = None,
        cancel: Optional[CancelToken] = None,
    ) -> list[dict[str, Any]]:
        """The result again after MP3/AAC/Opus re-encoding, gain, pitch, tempo and noise (one row each, in order;
        see :func:`forensic_app.core.robustness.check_robustness`)."""
        from .core.robustness import check_robustness

        return check_robustness(
            source,
            weights_dir=self.weights_dir,
            on_progress=on_progress,
            cancel=cancel,
            allow_modified=self.allow_modified,
        )


def analyze(
    source: str | Path | PcmSource,
    *,
    on_progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
) -> AnalysisResult:
    """Analyse one file with the shipped model bundle (``Analyzer().analyze(source)``; see :meth:`Analyzer.analyze`).

    Examples
    --------
    >>> from forensic_app.api import analyze, demo_track, write_report
    >>> result = analyze(demo_track())  # doctest: +SKIP
    >>> write_report(result, "report.pdf")  # doctest: +SKIP
    PosixPath('report.pdf')
    """
    return Analyzer().analyze(source, on_progress=on_progress, cancel=cancel)
