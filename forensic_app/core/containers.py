"""Container facts libsndfile does not tell us (or tells us wrongly).

Each function reads a file's headers, never its audio:

- ``wav_layout``: where a RIFF/WAVE file's PCM starts, and whether its size fields are the
  placeholders an unfinalised recording leaves (0, 0x7FFFFFFF, 0xFFFFFFFF), in which case the
  audio runs to the end of the file (what most players do);
- ``mp3_has_frame_count``: whether an MP3 declares its exact length (Xing/Info/VBRI frame).
  Without one, libsndfile's length is an estimate from the first frame's bitrate, so a short
  decode is not evidence of truncation;
- ``ogg_facts``: how many logical streams (chained links) an Ogg file holds, and whether its
  last page is complete and carries the end-of-stream flag (a cut-off download does not). This
  one walks every page header (27 bytes plus the segment table each, found by the lengths they
  state), because a link can start anywhere: ``cat a.ogg b.ogg`` makes one, and with the same
  serial number twice only the beginning-of-stream flag in the middle of the file tells.

Sources: Microsoft RIFF/WAVE; the Xing/Info and VBRI header layouts (LAME documentation);
RFC 3533 (Ogg page header: capture pattern, header_type flags 0x02 BOS / 0x04 EOS, segment table).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

PLACEHOLDER_SIZES = {0, 0x7FFFFFFF, 0xFFFFFFFF}
_WAV_SUBTYPES = {
    (1, 8): "PCM_U8",
    (1, 16): "PCM_16",
    (1, 24): "PCM_24",
    (1, 32): "PCM_32",
    (3, 32): "FLOAT",
    (3, 64): "DOUBLE",
}
SAMPLE_BYTES = {"PCM_U8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}  # per sample, by subtype
_EXTENSIBLE = 0xFFFE


@dataclass(frozen=True)
class WavLayout:
    """Where the samples of a RIFF/WAVE file are. ``subtype`` is a soundfile subtype name."""

    data_offset: int  # bytes from the start of the file
    data_bytes: int  # whole sample frames that the file really holds
    sample_rate: int
    channels: int
    subtype: str
    unfinalised: bool  # size fields were placeholders; the audio runs to the end of the file

    @property
    def block_align(self) -> int:
        return SAMPLE_BYTES[self.subtype] * self.channels


def wav_layout(path: Path) -> Optional[WavLayout]:
    """Parse a RIFF/WAVE header (first 64 KiB). None when it is not a plain PCM/float WAV."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(65536)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    riff_size = struct.unpack_from("<I", head, 4)[0]
    pos, fmt = 12, None
    while pos + 8 <= len(head):
        cid, csize = head[pos : pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        body = pos + 8
        if cid == b"fmt " and csize >= 16 and body + 16 <= len(head):
            tag, ch, rate, _, _, bits = struct.unpack_from("<HHIIHH", head, body)
            if tag == _EXTENSIBLE and csize >= 40 and body + 26 <= len(head):
                tag = struct.unpack_from("<H", head, body + 24)[0]  # first two bytes of the sub-format GUID
            fmt = (tag, ch, rate, bits)
        elif cid == b"data":
            if fmt is None or (fmt[0], fmt[3]) not in _WAV_SUBTYPES or fmt[1] <= 0:
                return None
            tag, ch, rate, bits = fmt
            subtype = _WAV_SUBTYPES[(tag, bits)]
            unfinalised = csize in PLACEHOLDER_SIZES or riff_size in PLACEHOLDER_SIZES
            avail = size - body
            n = avail if unfinalised else min(csize, avail)
            align = bits // 8 * ch
            return WavLayout(
                data_offset=body,
                data_bytes=n // align * align,
                sample_rate=rate,
                channels=ch,
                subtype=subtype,
                unfinalised=unfinalised,
            )
        if csize in PLACEHOLDER_SIZES and cid != b"data":
            return None
        pos = body + csize + (csize & 1)
    return None


def mp3_has_frame_count(path: Path) -> bool:
    """True when the first MPEG frame is a Xing/Info or VBRI header (the exact length is declared)."""
    with open(path, "rb") as f:
        head = f.read(10)
        offset = 0
        if len(head) == 10 and head[:3] == b"ID3":
            # ID3v2: 10-byte header, then a syncsafe size (7 bits per byte), plus a footer when flagged
            offset = 10 + ((head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]) + (10 if head[5] & 0x10 else 0)
        f.seek(offset)
        block = f.read(8192)
    for i in range(len(block) - 1):  # first frame sync
        if block[i] == 0xFF and (block[i + 1] & 0xE0) == 0xE0:
            frame = block[i : i + 200]
            return b"Xing" in frame or b"Info" in frame or b"VBRI" in frame
    return False


@dataclass(frozen=True)
class OggFacts:
    chained: bool  # more than one link: a beginning-of-stream page after the pages of a first link
    complete: bool  # the last page is whole and carries the end-of-stream flag
    granule_frames: int = 0  # the links' last granule positions added up: about the whole length, in frames


_NO_GRANULE = (1 << 64) - 1  # a page on which no packet ends


def ogg_facts(path: Path) -> OggFacts:
    """Links, completeness and length of an Ogg file from all its page headers (see the module docstring)."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        size = len(m)
        pos = m.find(b"OggS")
        links, in_bos, granules = 0, False, 0
        last_granule, first_serial = 0, None
        last = None  # (offset, header_type, length, serial)
        while 0 <= pos and pos + 27 <= size:
            htype, granule, serial, nseg = m[pos + 5], *struct.unpack_from("<QI", m, pos + 6), m[pos + 26]
            length = 27 + nseg + sum(m[pos + 27 : pos + 27 + nseg])
            if htype & 0x02 and not in_bos:  # the first page of a link (grouped streams open together)
                links += 1
                granules += last_granule
                last_granule = 0
            in_bos = bool(htype & 0x02)
            if granule != _NO_GRANULE:
                last_granule = granule
            first_serial = serial if first_serial is None else first_serial
            last = (pos, htype, length, serial)
            nxt = pos + length
            # damaged data between pages: find the next capture pattern, as a decoder resyncs
            pos = nxt if m[nxt : nxt + 4] == b"OggS" else m.find(b"OggS", pos + 4)
    if last is None:
        return OggFacts(chained=False, complete=False)
    off, htype, length, serial = last
    return OggFacts(
        chained=links > 1 or serial != first_serial,
        complete=bool(htype & 0x04) and off + length == size,
        granule_frames=granules + last_granule,
    )
