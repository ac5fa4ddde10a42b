"""What a file's tags say, read with mutagen and bounded: the raw material of :mod:`.declared`.

Every container mutagen knows (ID3v2/v1 in MP3, WAV and AIFF; Vorbis comments in FLAC and Ogg;
MP4 atoms; APEv2; ASF) gives a list of ``(key, text)`` pairs, the embedded pictures (type, size and,
read from the image header only, width x height) and any XMP packet. RIFF files are also walked
chunk by chunk with mutagen's own RIFF reader for what mutagen does not interpret: the ``LIST/INFO``
text chunks, the BWF ``bext`` chunk (EBU Tech 3285's fixed fields), ``iXML`` and the ``_PMX`` XMP
packet. XMP is parsed with defusedxml (no DTD, no entities: an entity "bomb" is refused, not
expanded) after a size check.

Nothing here raises on what a file contains: whatever cannot be read becomes a sentence in
``problems``. Sizes are capped: text values at :data:`MAX_TEXT_CHARS`, at most :data:`MAX_TAGS`
pairs and :data:`MAX_PICTURES` pictures are kept (the totals are counted), an XMP packet over
:data:`MAX_XMP_BYTES` is not parsed, at most :data:`MAX_HISTORY` XMP history entries are kept.
"""

from __future__ import annotations

import base64
import io
import re
import struct
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

MAX_TEXT_CHARS = 300
MAX_TAGS = 64
MAX_PICTURES = 8
MAX_XMP_BYTES = 1 << 20
MAX_HISTORY = 32
MAX_CHUNK_READ = 1 << 20  # INFO, iXML, bext: larger chunks are named, not read


def clip(text: Any, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` as one printable line of at most ``limit`` characters (an ellipsis marks a cut)."""
    s = str(text).replace("\x00", " ").strip()
    s = re.sub(r"[\r\n\t]+", " ", s)
    s = "".join(ch if ch.isprintable() else "?" for ch in s)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def decode_text(raw: bytes) -> tuple[str, bool]:
    """Bytes of a tag as text: UTF-8 when they are, else Latin-1 (old RIFF and ID3v1 tags are).
    The flag says the bytes were not valid UTF-8."""
    raw = raw.split(b"\x00", 1)[0]
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("latin-1"), True


@dataclass(frozen=True)
class Picture:
    """One embedded picture: never decoded, its size read from the image header when cheap."""

    mime: str
    n_bytes: int
    kind: str = ""  # "front cover", "artist", ... (the ID3/FLAC picture type) or the MP4 atom
    width: Optional[int] = None
    height: Optional[int] = None

    def to_dict(self) -> dict:
        return {
            "mime": self.mime,
            "n_bytes": self.n_bytes,
            "kind": self.kind,
            "width": self.width,
            "height": self.height,
        }


@dataclass(frozen=True)
class XmpEvent:
    """One ``xmpMM:History`` entry: what was done, by which software, when."""

    action: str = ""
    software_agent: str = ""
    when: str = ""

    def to_dict(self) -> dict:
        return {"action": self.action, "software_agent": self.software_agent, "when": self.when}


@dataclass
class TagFacts:
    """What :func:`read_tags` found (mutable while it is gathered; :mod:`.declared` freezes it)."""

    container: str = ""
    tags: list[tuple[str, str]] = field(default_factory=list)
    n_tags: int = 0
    pictures: list[Picture] = field(default_factory=list)
    n_pictures: int = 0
    xmp: dict[str, str] = field(default_factory=dict)  # CreatorTool, DigitalSourceType, dates
    xmp_history: list[XmpEvent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, key: str, value: Any) -> None:
        self.n_tags += 1
        if len(self.tags) < MAX_TAGS:
            self.tags.append((clip(key, 64), clip(value)))

    def add_picture(self, data: bytes, mime: str, kind: str) -> None:
        self.n_pictures += 1
        if len(self.pictures) < MAX_PICTURES:
            self.pictures.append(_picture(data, mime, kind))

    def problem(self, text: str) -> None:
        if text not in self.problems and len(self.problems) < 16:
            self.problems.append(text)


_PICTURE_TYPES = {
    0: "other",
    1: "file icon",
    2: "other file icon",
    3: "front cover",
    4: "back cover",
    5: "leaflet page",
    6: "media",
    7: "lead artist",
    8: "artist",
    9: "conductor",
    10: "band",
    11: "composer",
    12: "lyricist",
    13: "recording location",
    14: "during recording",
    15: "during performance",
    16: "video capture",
    17: "a bright coloured fish",
    18: "illustration",
    19: "band logo",
    20: "publisher logo",
}


def _picture(data: bytes, mime: str, kind: str) -> Picture:
    """The picture's header only: Pillow's ``open`` reads the size and decodes no pixel."""
    width = height = None
    try:
        from PIL import Image

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: we never decode
            with Image.open(io.BytesIO(data)) as im:
                width, height = (int(v) for v in im.size)
                mime = mime or Image.MIME.get(im.format or "", "")
    except Exception:  # noqa: BLE001 - a picture that is not an image is still counted
        pass
    return Picture(mime=clip(mime, 40), n_bytes=len(data), kind=kind, width=width, height=height)


# --- mutagen: every container it knows -------------------------------------------------------------


def read_tags(path: str) -> TagFacts:
    """Tags, pictures and XMP of the file at ``path``. Never raises on what the file holds."""
    facts = TagFacts()
    try:
        import mutagen
    except ImportError:
        facts.problem("Tags were not read: the mutagen package is not installed.")
        return facts
    audio = None
    try:
        audio = mutagen.File(path)
    except Exception as exc:  # noqa: BLE001 - mutagen raises many kinds on damaged tags
        facts.problem(_tag_failure(exc))
        _read_id3v1_only(path, facts)
    if audio is not None:
        facts.container = type(audio).__name__
        try:
            _read_mutagen_tags(audio, facts)
        except Exception as exc:  # noqa: BLE001
            facts.problem(f"Some tags could not be read ({clip(exc, 120) or type(exc).__name__}).")
    _read_riff_chunks(path, facts)
    if any("\ufffd" in v for _, v in facts.tags):
        facts.problem("Some tag text is not valid UTF-8; the characters that could not be read show as �.")
    return facts


def _tag_failure(exc: Exception) -> str:
    name = type(exc).__module__
    reason = clip(exc, 120)
    if "id3" in name:
        return (
            "The ID3 tag at the start of the file is damaged or cut short"
            + (f" ({reason})" if reason else "")
            + "; its tags were not read."
        )
    return "The file's tags could not be read" + (f" ({reason})" if reason else "") + "."


def _read_id3v1_only(path: str, facts: TagFacts) -> None:
    """When the ID3v2 tag is damaged, the 128-byte ID3v1 tag at the end may still be there."""
    try:
        from mutagen.id3 import ParseID3v1

        with open(path, "rb") as fh:
            fh.seek(0, io.SEEK_END)
            if fh.tell() < 128:
                return
            fh.seek(-128, io.SEEK_END)
            frames = ParseID3v1(fh.read(128))
        for frame in (frames or {}).values():
            _add_id3_frame(frame, facts)
    except Exception:  # noqa: BLE001
        return


def _read_mutagen_tags(audio: Any, facts: TagFacts) -> None:
    tags = audio.tags
    vendor = getattr(tags, "vendor", None)
    if vendor:
        facts.add("vendor", vendor)
    for pic in getattr(audio, "pictures", None) or ():  # FLAC picture blocks
        facts.add_picture(pic.data, pic.mime, _PICTURE_TYPES.get(int(pic.type), "other"))
    if tags is None:
        return
    if hasattr(tags, "getall") and hasattr(tags, "version"):  # ID3 (MP3, WAV, AIFF)
        for frame in tags.values():
            _add_id3_frame(frame, facts)
    elif isinstance(tags, list):  # Vorbis comments (FLAC, Ogg): a list of (key, value) pairs
        for key, value in list(tags):
            _add_vorbis(key, value, facts)
    elif type(tags).__name__ == "MP4Tags":
        for key, values in tags.items():
            _add_mp4(key, values, facts)
    else:  # APEv2, ASF and the rest: a mapping of key -> value(s)
        for key, values in tags.items():
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, (bytes, bytearray)) or type(value).__name__ == "ASFByteArrayAttribute":
                    facts.add(key, f"({len(getattr(value, 'value', value))} bytes)")
                else:
                    facts.add(key, value)


def _add_id3_frame(frame: Any, facts: TagFacts) -> None:
    fid = frame.FrameID
    key = frame.HashKey
    if fid == "APIC":
        facts.add_picture(frame.data, frame.mime, _PICTURE_TYPES.get(int(frame.type), "other"))
    elif fid == "PIC":  # ID3v2.2
        facts.add_picture(frame.data, "image/" + str(frame.mime).lower(), _PICTURE_TYPES.get(int(frame.type), "other"))
    elif fid == "PRIV" and frame.owner == "XMP":
        read_xmp(frame.data, facts)
    elif hasattr(frame, "text"):
        if fid == "TXXX":
            key = f"TXXX:{frame.desc}"
        elif fid == "COMM":
            key = f"COMM:{frame.desc}" if frame.desc else "COMM"
        facts.add(key, "; ".join(str(t) for t in frame.text[:8]))
    elif hasattr(frame, "url"):
        facts.add(key, frame.url)
    else:
        size = len(getattr(frame, "data", b"") or b"")
        facts.add(key, f"({size} bytes)" if size else "")


def _add_vorbis(key: str, value: str, facts: TagFacts) -> None:
    upper = key.upper()
    if upper == "METADATA_BLOCK_PICTURE":
        if len(value) > _MAX_B64_PICTURE or len(facts.pictures) >= MAX_PICTURES:
            facts.n_pictures += 1  # counted, not decoded
            return
        try:
            from mutagen.flac import Picture as FlacPicture

            pic = FlacPicture(base64.b64decode(value))
        except Exception:  # noqa: BLE001
            facts.problem("An embedded picture in the Vorbis comments is damaged and was not read.")
            return
        facts.add_picture(pic.data, pic.mime, _PICTURE_TYPES.get(int(pic.type), "other"))
    elif upper == "COVERART":  # the legacy spelling: counted only
        facts.n_pictures += 1
    else:
        facts.add(key.lower(), value)


_MAX_B64_PICTURE = 64 << 20


_MP4_IMAGE = {13: "image/jpeg", 14: "image/png", 27: "image/bmp"}


def _add_mp4(key: str, values: Any, facts: TagFacts) -> None:
    if key == "covr":
        for cover in values:
            facts.add_picture(bytes(cover), _MP4_IMAGE.get(getattr(cover, "imageformat", 0), ""), "cover (covr)")
        return
    for value in values if isinstance(values, list) else [values]:
        if isinstance(value, (bytes, bytearray)):  # freeform "----:com.apple.iTunes:ISRC" atoms
            text, bad = decode_text(bytes(value[: MAX_TEXT_CHARS * 4]))
            facts.add(key, text)
            if bad:
                facts.problem(f"The MP4 tag {clip(key, 60)} is not valid UTF-8; it was read as Latin-1.")
        else:
            facts.add(key, value)


# --- RIFF chunks mutagen walks but does not interpret ---------------------------------------------


def _read_riff_chunks(path: str, facts: TagFacts) -> None:
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"RIFF":
                return
            fh.seek(0)
            from mutagen._riff import RiffFile  # mutagen's chunk reader (no public name for it)

            riff = RiffFile(fh)
            for chunk in _walk(riff.root.subchunks(), depth=0):
                _read_riff_chunk(chunk, facts)
    except Exception as exc:  # noqa: BLE001
        facts.problem(f"The RIFF chunks after the first damaged one were not read ({clip(exc, 100)}).")


def _walk(chunks: Iterable[Any], depth: int) -> Iterable[Any]:
    for i, chunk in enumerate(chunks):
        if i > 256:
            return
        yield chunk
        if chunk.id == "LIST" and depth < 2 and getattr(chunk, "name", "") == "INFO":
            for sub in _walk(chunk.subchunks(), depth + 1):
                yield sub


_BEXT = struct.Struct("<256s32s32s10s8sIIH64s")  # EBU Tech 3285: Description .. UMID, then loudness, coding history
_BEXT_HISTORY_AT = 602


def _read_riff_chunk(chunk: Any, facts: TagFacts) -> None:
    cid = chunk.id
    parent = getattr(getattr(chunk, "parent_chunk", None), "name", "")
    if cid in ("LIST", "data", "fmt ", "fact", "id3 ", "ID3 "):
        return
    if chunk.data_size > MAX_CHUNK_READ and cid != "_PMX":
        facts.problem(f"The RIFF chunk {clip(cid, 8)!r} holds {chunk.data_size} bytes; it was not read.")
        return
    if parent == "INFO":
        text, bad = decode_text(chunk.read())
        facts.add(f"INFO:{cid}", text)
        if bad:
            facts.problem(f"The RIFF INFO text {clip(cid, 8)} is not valid UTF-8; it was read as Latin-1.")
    elif cid == "bext":
        raw = chunk.read()
        if len(raw) < _BEXT.size:
            facts.problem("The BWF bext chunk is shorter than its fixed fields; it was not read.")
            return
        desc, originator, ref, date, time_, _lo, _hi, _ver, _umid = _BEXT.unpack_from(raw)
        for name, value in (
            ("description", desc),
            ("originator", originator),
            ("originator_reference", ref),
            ("origination_date", date + b" " + time_),
            ("coding_history", raw[_BEXT_HISTORY_AT:]),
        ):
            text, _ = decode_text(value.rstrip(b"\x00 "))
            if text.strip():
                facts.add(f"bext:{name}", text)
    elif cid == "iXML":
        _read_ixml(chunk.read(), facts)
    elif cid == "_PMX":
        if chunk.data_size > MAX_XMP_BYTES:
            facts.problem(f"The XMP packet holds {chunk.data_size} bytes, more than the app reads; it was not read.")
            return
        read_xmp(chunk.read(), facts)


def _read_ixml(raw: bytes, facts: TagFacts) -> None:
    root = _parse_xml(raw, facts, "iXML")
    if root is None:
        return
    for name in ("PROJECT", "SCENE", "TAKE", "NOTE", "FILE_UID"):
        el = root.find(name)
        if el is not None and (el.text or "").strip():
            facts.add(f"iXML:{name}", el.text)


# --- XMP ---------------------------------------------------------------------------------------------

_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "stEvt": "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def _parse_xml(raw: bytes, facts: TagFacts, what: str):
    """An element tree, or None with the reason in ``facts.problems``. defusedxml refuses DTDs and
    entity declarations, so an entity "bomb" costs nothing."""
    if len(raw) > MAX_XMP_BYTES:
        facts.problem(f"The {what} packet holds {len(raw)} bytes, more than the app reads; it was not read.")
        return None
    try:
        import defusedxml.ElementTree as DET
        from defusedxml import DefusedXmlException
    except ImportError:
        facts.problem(f"The {what} packet was not read: the defusedxml package is not installed.")
        return None
    start = raw.find(b"<")
    text = raw[start:] if start > 0 else raw
    text = re.sub(rb"<\?xpacket[^>]*\?>", b"", text).rstrip(b"\x00 \r\n\t")
    try:
        return DET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        facts.problem(
            f"The {what} packet declares a DTD or XML entities, which the app refuses to expand "
            "(this is how an entity 'bomb' attacks a reader); it was not read."
        )
    except Exception as exc:  # noqa: BLE001 - ParseError and friends
        facts.problem(f"The {what} packet is not well-formed XML ({clip(exc, 100)}); it was not read.")
    return None


def _xmp_value(root: Any, ns: str, name: str) -> Optional[str]:
    """An XMP property written as an attribute of rdf:Description or as a child element."""
    tag = "{%s}%s" % (_NS[ns], name)
    for desc in root.iter("{%s}Description" % _NS["rdf"]):
        if tag in desc.attrib:
            return desc.attrib[tag]
        el = desc.find(tag)
        if el is not None:
            texts = [t.strip() for t in el.itertext() if t.strip()]
            if texts:
                return texts[0]
            res = el.attrib.get("{%s}resource" % _NS["rdf"])
            if res:
                return res
    return None


def read_xmp(raw: bytes, facts: TagFacts) -> None:
    """CreatorTool, dates, IPTC DigitalSourceType and the ``xmpMM:History`` events of one packet."""
    root = _parse_xml(raw, facts, "XMP")
    if root is None:
        return
    for ns, name in (
        ("xmp", "CreatorTool"),
        ("xmp", "CreateDate"),
        ("xmp", "ModifyDate"),
        ("xmp", "MetadataDate"),
        ("Iptc4xmpExt", "DigitalSourceType"),
        ("dc", "title"),
    ):
        value = _xmp_value(root, ns, name)
        if value:
            facts.xmp.setdefault(name, clip(value))
    evt = "{%s}" % _NS["stEvt"]
    for history in root.iter("{%s}History" % _NS["xmpMM"]):
        for li in history.iter("{%s}li" % _NS["rdf"]):
            if len(facts.xmp_history) >= MAX_HISTORY:
                facts.problem(f"The XMP history has more than {MAX_HISTORY} entries; the first {MAX_HISTORY} are kept.")
                return
            fields: dict[str, str] = {}
            for child in li.iter():  # attributes of li or of an rdf:Description inside it, or child elements
                fields.update((k, v) for k, v in child.attrib.items() if k.startswith(evt))
                if child.tag.startswith(evt) and (child.text or "").strip():
                    fields[child.tag] = child.text
            event = XmpEvent(
                action=clip(fields.get(evt + "action", ""), 60),
                software_agent=clip(fields.get(evt + "softwareAgent", ""), 120),
                when=clip(fields.get(evt + "when", ""), 40),
            )
            if event.action or event.software_agent:
                facts.xmp_history.append(event)
