"""JSON that people hand the app (case files and the analyses inside them, the settings file),
read with bounds on size and nesting, checked before anything is parsed.

``json.loads`` takes whatever it is given: a case file padded to 1 GB costs three times that
in memory and is accepted; ten million ``[`` end in a RecursionError deep inside the parser.
:func:`read_json` reads nothing of a file larger than ``max_bytes`` (and stops one byte past
it in a file that grows, or a pipe), then measures the nesting depth with brackets inside
strings left out (:func:`json_depth`: vectorised, about 350 MB/s here, longer than the parse
itself) before parsing. Each refusal is a :class:`JsonRefused` whose ``kind`` lets the caller
say what to do in its own words.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

MAX_DEPTH = 64  # a case file nests 9 levels deep; Python's parser recurses once per level
_CHUNK = 1 << 24  # bytes compared at a time by json_depth: its temporaries stay small
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN, _CLOSE = (ord("["), ord("{")), (ord("]"), ord("}"))


class JsonRefused(ValueError):
    """A JSON file that was not parsed. ``kind``: ``"too_large"`` (``size`` bytes or more,
    over ``limit``), ``"too_deep"`` (nested ``depth`` levels, over ``limit``), ``"not_text"``
    (not UTF-8 from byte ``at``) or ``"not_json"`` (not JSON from byte ``at``)."""

    def __init__(self, kind: str, message: str, *, size: int, limit: int = 0, depth: int = 0, at: int = 0):
        super().__init__(message)
        self.kind, self.size, self.limit, self.depth, self.at = kind, size, limit, depth, at


def _positions(a: np.ndarray, values: tuple[int, ...]) -> np.ndarray:
    """Where ``a`` holds any of ``values``, chunk by chunk (int64 positions)."""
    found = []
    for start in range(0, a.size, _CHUNK):
        part = a[start : start + _CHUNK]
        hit = part == values[0]
        for v in values[1:]:
            hit |= part == v
        found.append(np.flatnonzero(hit) + start)
    return np.concatenate(found) if found else np.zeros(0, np.int64)


def json_depth(raw: bytes) -> int:
    """How deeply ``raw`` nests arrays and objects, brackets inside strings not counted.

    Exact for valid JSON, and for invalid JSON up to where a parser would stop, which is all
    a parser can recurse through: quotes pair up as the JSON lexer pairs them (a quote after an
    odd run of backslashes is part of the string).
    """
    a = np.frombuffer(raw, np.uint8)
    quotes = _positions(a, (_QUOTE,))
    escaped = np.zeros(quotes.size, bool)
    for i in np.flatnonzero(a[np.maximum(quotes - 1, 0)] == _BACKSLASH):  # rare: \" inside text
        q, run = int(quotes[i]), 0
        while q - run - 1 >= 0 and a[q - run - 1] == _BACKSLASH:
            run += 1
        escaped[i] = run % 2 == 1
    quotes = quotes[~escaped]
    opens, closes = _positions(a, _OPEN), _positions(a, _CLOSE)
    # outside every string: an even number of quotes before the bracket
    opens = opens[np.searchsorted(quotes, opens) % 2 == 0]
    closes = closes[np.searchsorted(quotes, closes) % 2 == 0]
    if not opens.size:
        return 0
    # just after the i-th opening bracket: i + 1 opened, minus those closed before it
    return int((np.arange(1, opens.size + 1) - np.searchsorted(closes, opens)).max())


def parse_json(raw: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """``raw`` (UTF-8 JSON) parsed, once its nesting is known to be at most ``max_depth``.
    Raises :class:`JsonRefused`."""
    depth = json_depth(raw)
    if depth > max_depth:
        raise JsonRefused(
            "too_deep",
            f"nested {depth:,} levels deep (at most {max_depth} are read)",
            size=len(raw),
            limit=max_depth,
            depth=depth,
        )
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise JsonRefused("not_text", f"not UTF-8 text from byte {exc.start:,}", size=len(raw), at=exc.start) from None
    except json.JSONDecodeError as exc:
        raise JsonRefused(
            "not_json", f"not JSON from byte {exc.pos:,} ({exc.msg})", size=len(raw), at=exc.pos
        ) from None


def read_json(path: str | os.PathLike, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON document in ``path``, read only if it has at most ``max_bytes`` bytes and
    ``max_depth`` levels of nesting. Raises :class:`JsonRefused`, or OSError when the file
    cannot be read (missing, a folder, no permission: the caller words those)."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        raw = f.read(min(size, max_bytes) + 1) if size <= max_bytes else b""
        while size <= max_bytes and len(raw) <= max_bytes:  # a file still growing, or a pipe
            more = f.read(min(1 << 20, max_bytes + 1 - len(raw)))
            if not more:
                break
            raw += more
        if size > max_bytes or len(raw) > max_bytes:
            size = max(size, len(raw))
            raise JsonRefused(
                "too_large", f"{size:,} bytes (at most {max_bytes:,} are read)", size=size, limit=max_bytes
            )
    return parse_json(raw, max_depth=max_depth)
