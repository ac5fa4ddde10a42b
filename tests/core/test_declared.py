"""What the file declares (core/detectors/declared): tags written here with mutagen, a Content Credential
signed here with c2pa-python and a throwaway certificate chain, and metadata that is damaged or
hostile on purpose. Every file is made in the test."""

from __future__ import annotations

import datetime
import io
import json
import shutil
import struct
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from forensic_app.core.detectors.declared import (
    Declarations,
    declaration_headline,
    declaration_lines,
    read_declarations,
)

mutagen = pytest.importorskip("mutagen")
from mutagen.id3 import APIC, COMM, ID3, PRIV, TIT2, TPE1, TSRC  # noqa: E402

SUNO_COMMENT = "made with suno; created=2024-05-01T10:00:00Z; id=0b7e9b4c-2f0a-4c51-9d4f-1a2b3c4d5e6f"
AUDITION_XMP = b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
  xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"
  xmp:CreatorTool="Adobe Audition 24.4 (Windows)" xmp:CreateDate="2024-06-01T12:00:00+02:00">
 <xmpMM:History><rdf:Seq>
  <rdf:li stEvt:action="created" stEvt:softwareAgent="Adobe Audition 24.4 (Windows)" stEvt:when="2024-06-01T12:00:00+02:00"/>
  <rdf:li><rdf:Description stEvt:action="saved" stEvt:when="2024-06-01T12:30:00+02:00">
    <stEvt:softwareAgent>Adobe Audition 24.4 (Windows)</stEvt:softwareAgent></rdf:Description></rdf:li>
 </rdf:Seq></xmpMM:History>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""
XMP_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="&lol9;"/></rdf:RDF></x:xmpmeta>"""


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _tone(seconds: float = 1.0, rate: int = 44100) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def _mp3(path: Path) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed: it writes the MP3")
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=1",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "64k",
            str(path),
        ],
        check=True,
    )
    return path


def _riff_chunk(cid: bytes, data: bytes) -> bytes:
    return cid + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")


def _wav_with_chunks(path: Path, *chunks: bytes) -> Path:
    """A PCM WAV from soundfile with extra RIFF chunks appended and the RIFF size mended."""
    sf.write(path, _tone(0.5), 44100, subtype="PCM_16")
    data = bytearray(path.read_bytes()) + b"".join(chunks)
    data[4:8] = struct.pack("<I", len(data) - 8)
    path.write_bytes(bytes(data))
    return path


# --- what the tags declare ---------------------------------------------------------------------------


def test_suno_comment_isrc_encoder_and_picture_from_an_mp3(tmp_path):
    path = _mp3(tmp_path / "44100-1-sine.mp3")
    tags = ID3(path)
    tags.add(TIT2(encoding=3, text=["Night Drive"]))
    tags.add(TPE1(encoding=3, text=["someone"]))
    tags.add(COMM(encoding=3, lang="eng", desc="", text=[SUNO_COMMENT]))
    tags.add(TSRC(encoding=3, text=["US-RC1-76-07839"]))
    tags.add(APIC(encoding=3, mime="image/png", type=3, desc="cover", data=_png(64, 48)))
    tags.save(path)

    decl = read_declarations(path)
    assert decl.container == "MP3"
    assert decl.declared_generator == "Suno" and decl.declared_generator_from == "tags"
    assert decl.comment == SUNO_COMMENT
    assert decl.isrc == "USRC17607839"
    assert decl.encoder.startswith("Lavf")  # ffmpeg's muxer names itself in TSSE
    assert decl.title == "Night Drive" and decl.artist == "someone"
    (pic,) = decl.pictures
    assert (pic.mime, pic.kind, pic.width, pic.height) == ("image/png", "front cover", 64, 48)
    assert decl.c2pa == "absent" and decl.problems == ()
    assert declaration_headline(decl) == "The file's own tags say it was made with Suno."
    assert json.loads(json.dumps(decl.to_dict()))["declared_generator"] == "Suno"


def test_xmp_history_names_the_editor_and_flac_vorbis_comments_are_read(tmp_path):
    mp3 = _mp3(tmp_path / "edited.mp3")
    tags = ID3(mp3)
    tags.add(PRIV(owner="XMP", data=AUDITION_XMP))
    tags.save(mp3)
    decl = read_declarations(mp3)
    assert [e.software_agent for e in decl.xmp_history] == ["Adobe Audition 24.4 (Windows)"] * 2
    assert [e.action for e in decl.xmp_history] == ["created", "saved"]
    assert decl.software == "Adobe Audition 24.4 (Windows)"
    assert "2024-06-01T12:00:00+02:00" in decl.dates
    assert decl.declared_generator is None and declaration_headline(decl) is None
    assert any("Adobe Audition 24.4" in line for line in declaration_lines(decl))

    flac = tmp_path / "44100-1-sine.flac"
    sf.write(flac, _tone(), 44100)
    from mutagen.flac import FLAC, Picture

    f = FLAC(flac)
    f["COMMENT"] = "Made with Udio"
    f["ISRC"] = "GBAYE0601498"
    f["ENCODER"] = "Lavf60.16.100"
    pic = Picture()
    pic.type, pic.mime, pic.data = 3, "image/png", _png(10, 20)
    f.add_picture(pic)
    f.save()
    decl = read_declarations(flac)
    assert (decl.container, decl.declared_generator, decl.isrc, decl.encoder) == (
        "FLAC",
        "Udio",
        "GBAYE0601498",
        "Lavf60.16.100",
    )
    assert (decl.pictures[0].width, decl.pictures[0].height) == (10, 20)


def test_riff_info_and_bext_in_a_wav(tmp_path):
    info = b"INFO" + _riff_chunk(b"ISFT", b"Lavf58.45.100\x00") + _riff_chunk(b"ICMT", b"created with Mureka\x00")
    bext = (
        b"Bounced mix".ljust(256, b"\x00")
        + b"Pro Tools".ljust(32, b"\x00")
        + b"".ljust(32, b"\x00")
        + b"2024-01-02"
        + b"10:11:12"
        + struct.pack("<IIH", 0, 0, 1)
        + b"\x00" * 64
    ).ljust(602, b"\x00")
    bext += b"A=PCM,F=44100,W=16,M=mono\r\n"
    path = _wav_with_chunks(tmp_path / "44100-1-16.wav", _riff_chunk(b"LIST", info), _riff_chunk(b"bext", bext))
    decl = read_declarations(path)
    assert decl.encoder == "Lavf58.45.100"
    assert decl.declared_generator == "Mureka"
    assert decl.software == "Pro Tools"
    assert "2024-01-02 10:11:12" in decl.dates
    assert ("bext:coding_history", "A=PCM,F=44100,W=16,M=mono") in decl.tags


def test_no_declaration_says_nothing_about_human_origin(tmp_path):
    path = tmp_path / "44100-1-16.wav"
    sf.write(path, _tone(), 44100, subtype="PCM_16")
    decl = read_declarations(path)
    assert decl.declared_generator is None and not decl.declares_ai
    assert declaration_headline(decl) is None
    words = " ".join(declaration_lines(decl)).lower()
    for claim in ("human", "authentic", "genuine", "not ai", "real music"):
        assert claim not in words


# --- bad metadata: a result and a sentence, never a traceback ------------------------------------------


def test_truncated_id3_gives_a_problem_not_an_exception(tmp_path):
    path = _mp3(tmp_path / "cut.mp3")
    tags = ID3(path)
    tags.add(COMM(encoding=3, lang="eng", desc="", text=[SUNO_COMMENT]))
    tags.save(path)
    data = path.read_bytes()
    (tmp_path / "cut-in-tag.mp3").write_bytes(data[:60])
    decl = read_declarations(tmp_path / "cut-in-tag.mp3")
    assert isinstance(decl, Declarations)
    assert any("ID3 tag" in p and "cut short" in p for p in decl.problems)


def test_a_50_mb_picture_stays_fast_and_bounded(tmp_path):
    path = _mp3(tmp_path / "huge-cover.mp3")
    tags = ID3(path)
    tags.add(APIC(encoding=3, mime="image/png", type=3, desc="", data=_png(32, 32) + b"\x00" * (50 << 20)))
    tags.save(path)
    start = time.perf_counter()
    decl = read_declarations(path, check_c2pa=False)
    assert time.perf_counter() - start < 10
    (pic,) = decl.pictures
    assert pic.n_bytes > 50 << 20 and (pic.width, pic.height) == (32, 32)
    assert len(json.dumps(decl.to_dict())) < 20_000  # the picture's bytes never travel


def test_invalid_utf8_is_read_with_a_problem(tmp_path):
    flac = tmp_path / "bad-utf8.flac"
    sf.write(flac, _tone(), 44100)
    from mutagen.flac import FLAC

    f = FLAC(flac)
    f["TITLE"] = "AAAA-title"
    f.save()
    data = flac.read_bytes()
    flac.write_bytes(data.replace(b"AAAA-title", b"\xff\xfe\xc3(-title"))
    decl = read_declarations(flac)
    assert decl.title and decl.title.endswith("-title")
    assert any("not valid UTF-8" in p for p in decl.problems)

    wav = _wav_with_chunks(
        tmp_path / "bad-utf8.wav", _riff_chunk(b"LIST", b"INFO" + _riff_chunk(b"INAM", b"Caf\xe9\x00"))
    )
    decl = read_declarations(wav)
    assert decl.title == "Café"
    assert any("not valid UTF-8" in p for p in decl.problems)


def test_an_xmp_entity_bomb_is_refused_not_expanded(tmp_path):
    path = _wav_with_chunks(tmp_path / "bomb.wav", _riff_chunk(b"_PMX", XMP_BOMB))
    start = time.perf_counter()
    decl = read_declarations(path)
    assert time.perf_counter() - start < 5
    assert decl.software is None and decl.xmp_history == ()
    assert any("entit" in p and "XMP" in p for p in decl.problems)

    mp3 = _mp3(tmp_path / "bomb.mp3")
    tags = ID3(mp3)
    tags.add(PRIV(owner="XMP", data=XMP_BOMB))
    tags.save(mp3)
    assert any("entit" in p for p in read_declarations(mp3).problems)


def test_not_audio_at_all(tmp_path):
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    decl = read_declarations(path)
    assert isinstance(decl, Declarations) and declaration_headline(decl) is None


# --- Content Credentials (C2PA) -------------------------------------------------------------------------


def _test_chain() -> tuple[bytes, bytes]:
    """A throwaway ES256 chain: a test root CA and a leaf for signing (C2PA refuses a self-signed leaf)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    usage = dict(
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        encipher_only=False,
        decipher_only=False,
    )
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "forensic_app test root")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, **usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Test Signer"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Generator Inc"),
        ]
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False, **usage), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    chain = leaf.public_bytes(pem) + ca.public_bytes(pem)
    return chain, key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture(scope="module")
def signed_wav(tmp_path_factory) -> Path:
    c2pa = pytest.importorskip("c2pa", reason="c2pa-python is not installed")
    pytest.importorskip("cryptography")
    folder = tmp_path_factory.mktemp("c2pa")
    plain = folder / "44100-1-16.wav"
    sf.write(plain, _tone(), 44100, subtype="PCM_16")
    chain, key = _test_chain()
    manifest = {
        "claim_generator_info": [{"name": "ExampleGen", "version": "2.0"}],
        "title": plain.name,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "softwareAgent": {"name": "ExampleGen"},
                            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
                        }
                    ]
                },
            }
        ],
    }
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain, key, None))
    signed = folder / "signed.wav"
    with c2pa.Builder(manifest) as builder:
        builder.sign_file(plain, signed, signer)
    return signed


def test_a_signed_content_credential_is_valid_and_says_what_made_the_file(signed_wav):
    decl = read_declarations(signed_wav)
    assert decl.c2pa == "valid"
    cred = decl.credential
    assert (cred.signer, cred.issuer) == ("Test Signer", "Example Generator Inc")
    assert cred.trusted is False  # a test root is on no trust list
    assert cred.claim_generator.startswith("ExampleGen")
    assert decl.declared_source_type == "trainedAlgorithmicMedia"
    assert decl.declared_generator == "ExampleGen" and decl.declared_generator_from == "Content Credential"
    assert declaration_headline(decl) == (
        "A valid Content Credential signed by Example Generator Inc says: generated by a trained algorithm."
    )


def test_a_tampered_copy_is_invalid(signed_wav, tmp_path):
    data = bytearray(signed_wav.read_bytes())
    at = data.find(b"data") + 200
    data[at] ^= 0xFF  # one sample changed after signing
    tampered = tmp_path / "tampered.wav"
    tampered.write_bytes(bytes(data))
    decl = read_declarations(tampered)
    assert decl.c2pa == "invalid"
    assert "assertion.dataHash.mismatch" in decl.credential.failures
    assert "fails its check" in declaration_headline(decl)
