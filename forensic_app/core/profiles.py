"""Generator profiles: a linear model over the fakeprint that recognises one generator (or family).

A generator that ends in a neural decoder leaves peaks at fixed frequencies in the average
1-8 kHz spectrum, whatever it plays (the fakeprint of :mod:`.fakeprint`, "A Fourier explanation
of AI-music artifacts"). A profile is a logistic model over that fakeprint, fitted on a few
examples of the generator against the real-music reference, with the threshold above which it
calls a track a match. It is one small JSON file:

- what it covers: ``generator``, ``version``, ``architecture`` (a note in words);
- the model: ``weights`` (3585 values, one per fakeprint bin of 1-8 kHz), ``bias``,
  ``threshold_logit`` (set against real music, see ``forensic_app.training.profiles``);
- where it comes from: ``n_examples``, ``sources`` (repository / commit / path or file names
  and their sha256), ``validation`` (figures measured when it was made), ``created``;
- ``sha256``: the seal, the hash of the file's canonical JSON without this key. A profile
  whose seal does not match its contents is refused on load.

Only numpy: fitting lives in training code; :mod:`.detectors.profiles` applies them in ``analyze``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .fakeprint import BAND, FREQS_HZ

FORMAT = "forensic_app.profile/1"
PROFILE_KEY_PREFIX = "profile:"
ENV_NO_USER_PROFILES = "FORENSIC_APP_NO_USER_PROFILES"  # =1: apply only the built-in profiles (--no-user-profiles)  # manifest ``files`` keys of the bundle's built-in profiles
N_BINS = int(BAND.sum())  # 3585: the fakeprint's length
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ +-]{0,63}$")
# weights are stored rounded: a profile file stays small (about 30 KB) and its seal is stable
WEIGHT_DIGITS = 5


class ProfileError(ValueError):
    """A profile file that cannot be used: unreadable, wrong format or a broken seal."""


def valid_name(name: str) -> bool:
    """Profile names: 1-64 letters, digits, space, ``. _ + -``; no path separators."""
    return bool(NAME_RE.match(name)) and name.strip() == name


@dataclass(frozen=True)
class Profile:
    """One generator profile. ``weights``: (3585,) float64 over :func:`fakeprint.fakeprint_of`'s bins."""

    generator: str
    version: str
    architecture: str
    weights: np.ndarray
    bias: float
    threshold_logit: float
    n_examples: int
    sources: tuple[dict, ...] = ()
    validation: dict = field(default_factory=dict)
    created: str = ""
    notes: str = ""
    kind: str = "built-in"  # "built-in" | "user"
    sha256: str = ""  # set by to_json / load; "" for a profile not yet written

    def __post_init__(self) -> None:
        w = np.round(np.asarray(self.weights, np.float64).reshape(-1), WEIGHT_DIGITS)
        if w.size != N_BINS:
            raise ProfileError(f"profile {self.generator!r}: {w.size} weights, expected {N_BINS}")
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "bias", round(float(self.bias), WEIGHT_DIGITS))
        object.__setattr__(self, "threshold_logit", round(float(self.threshold_logit), WEIGHT_DIGITS))

    def score(self, fakeprint: np.ndarray) -> float:
        """(3585,) fakeprint -> logit of the profile's model (a match when >= ``threshold_logit``)."""
        fp = np.asarray(fakeprint, np.float64).reshape(-1)
        if fp.size != N_BINS:
            raise ValueError(f"fakeprint has {fp.size} values, expected {N_BINS}")
        return float(fp @ self.weights + self.bias)

    def score_many(self, fakeprints: np.ndarray) -> np.ndarray:
        """(n, 3585) -> (n,) logits."""
        return np.asarray(fakeprints, np.float64) @ self.weights + self.bias

    def matches(self, fakeprint: np.ndarray) -> bool:
        return self.score(fakeprint) >= self.threshold_logit

    def top_bins(self, fakeprint: np.ndarray, n: int = 8) -> list[tuple[float, float]]:
        """(frequency Hz, contribution to the logit) of the bins that weigh most, strongest first."""
        contrib = np.asarray(fakeprint, np.float64) * self.weights
        order = np.argsort(-contrib)[:n]
        freqs = FREQS_HZ[BAND]
        return [(float(freqs[i]), float(contrib[i])) for i in order if contrib[i] > 0]

    # ---- the file ---------------------------------------------------------------------------

    def _payload(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "generator": self.generator,
            "version": self.version,
            "architecture": self.architecture,
            "kind": self.kind,
            "notes": self.notes,
            "created": self.created,
            "n_examples": int(self.n_examples),
            "sources": list(self.sources),
            "validation": self.validation,
            "threshold_logit": self.threshold_logit,
            "bias": self.bias,
            "fakeprint": {"rate_hz": 16000, "n_fft": 8192, "band_hz": [1000, 8000], "n_bins": N_BINS},
            "weights": [float(v) for v in self.weights],
        }

    def to_json(self) -> str:
        """The sealed file's text (``sha256`` = hash of the canonical JSON of everything else)."""
        payload = self._payload()
        seal = _seal(payload)
        return json.dumps({**payload, "sha256": seal}, indent=None, separators=(",", ":"), ensure_ascii=False)

    def sealed(self) -> Profile:
        """This profile with its seal filled in (what :func:`load_profile` would return)."""
        return replace(self, sha256=_seal(self._payload()))

    def summary(self) -> dict[str, Any]:
        """What a list prints: no weights."""
        return {
            "name": self.generator,
            "version": self.version,
            "architecture": self.architecture,
            "kind": self.kind,
            "n_examples": self.n_examples,
            "created": self.created,
            "threshold_logit": self.threshold_logit,
            "validation": self.validation,
            "notes": self.notes,
            "sha256": self.sha256 or self.sealed().sha256,
        }


def _seal(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def today() -> str:
    return _dt.date.today().isoformat()


def profile_from_dict(data: dict[str, Any]) -> Profile:
    """A profile from a parsed file; the seal is checked. Raises ProfileError."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProfileError(
            f"not a generator profile (format {data.get('format') if isinstance(data, dict) else None!r})"
        )
    stored = data.get("sha256", "")
    payload = {k: v for k, v in data.items() if k != "sha256"}
    if _seal(payload) != stored:
        raise ProfileError(
            f"profile {data.get('generator')!r}: its sha256 seal does not match its contents "
            "(the file was changed after it was made)"
        )
    try:
        return Profile(
            generator=str(data["generator"]),
            version=str(data.get("version", "")),
            architecture=str(data.get("architecture", "")),
            weights=np.asarray(data["weights"], np.float64),
            bias=float(data["bias"]),
            threshold_logit=float(data["threshold_logit"]),
            n_examples=int(data["n_examples"]),
            sources=tuple(data.get("sources", ())),
            validation=dict(data.get("validation", {})),
            created=str(data.get("created", "")),
            notes=str(data.get("notes", "")),
            kind=str(data.get("kind", "built-in")),
            sha256=stored,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"profile {data.get('generator')!r}: {exc}") from None


def load_profile(path: str | os.PathLike) -> Profile:
    """Read and verify one profile file. Raises ProfileError (unreadable, not a profile, broken seal)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProfileError(f"{p.name}: cannot be read as a profile ({exc.__class__.__name__})") from None
    return profile_from_dict(data)


def save_profile(profile: Profile, path: str | os.PathLike) -> Profile:
    """Write the sealed file atomically; returns the profile with its seal."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    text = profile.to_json()
    tmp = p.with_name(p.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(p)
    return replace(profile, sha256=json.loads(text)["sha256"])


def load_profiles(folder: str | os.PathLike) -> tuple[list[Profile], list[str]]:
    """Every ``*.json`` profile in ``folder``, sorted by name, and one line per file refused."""
    profiles, problems = [], []
    d = Path(folder)
    if not d.is_dir():
        return [], []
    for p in sorted(d.glob("*.json")):
        try:
            profiles.append(load_profile(p))
        except ProfileError as exc:
            problems.append(str(exc))
    return profiles, problems


def user_profiles_dir(create: bool = False) -> Path:
    """``$FORENSIC_APP_DATA_DIR/profiles``, else the user data folder (platformdirs) / profiles."""
    env = os.environ.get("FORENSIC_APP_DATA_DIR")
    if env:
        base = Path(env)
    else:
        import platformdirs

        base = Path(platformdirs.user_data_dir("forensic_app", appauthor=False))
    d = base / "profiles"
    if create:
        d.mkdir(parents=True, exist_ok=True)
    return d


def profile_path(folder: Path, name: str) -> Path:
    """The file a profile named ``name`` lives in (names are checked by :func:`valid_name`)."""
    slug = re.sub(r"[^A-Za-z0-9._+-]+", "_", name).strip("._") or "profile"
    return folder / f"{slug}.json"


def find_profile(folder: Path, name: str) -> Path | None:
    p = profile_path(folder, name)
    return p if p.exists() else None


def load_user_profiles() -> tuple[Profile, ...]:
    """The user's own profiles (:func:`user_profiles_dir`), each marked ``kind="user"``; files that
    cannot be used (broken seal, not a profile) are left out: ``forensic-app profile list`` names them."""
    found, _problems = load_profiles(user_profiles_dir())
    return tuple(p if p.kind == "user" else replace(p, kind="user") for p in found)


def user_profiles_enabled(user_profiles: bool | None = None) -> bool:
    """``user_profiles`` when given, else not ``FORENSIC_APP_NO_USER_PROFILES=1`` (``--no-user-profiles`` sets it)."""
    if user_profiles is not None:
        return bool(user_profiles)
    return os.environ.get(ENV_NO_USER_PROFILES, "") != "1"
