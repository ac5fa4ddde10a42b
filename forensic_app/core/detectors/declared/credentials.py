"""Content Credentials (C2PA) in a file, read and verified with c2pa-python, offline and time-bound.

The status is one of :data:`STATUSES`:

``absent``       the file holds no C2PA manifest;
``valid``        a manifest whose signature and hashes check out (``trusted`` says whether the signer's
                 certificate chains to a trust anchor the reader was given; the app is given none, so a
                 valid credential names its signer as the certificate says, which anyone can write);
``invalid``      a manifest that fails its checks (the file changed after signing, a broken signature);
``present``      a manifest was found but could not be verified (stored remotely, an unknown state);
``not checked``  the check was not made: c2pa-python missing, a file type C2PA does not cover, or the
                 check ran past its time limit. The reason is in ``problems``.

The reader never fetches anything: remote manifests and OCSP are switched off in its settings.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .tags import clip

STATUSES = ("absent", "valid", "invalid", "present", "not checked")
C2PA_TIMEOUT_S = 20.0
MAX_ACTIONS = 16
IPTC_PREFIX = "http://cv.iptc.org/newscodes/digitalsourcetype/"
_OFFLINE = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}


@dataclass(frozen=True)
class CredentialAction:
    """One ``c2pa.actions`` entry of the active manifest."""

    action: str
    software_agent: str = ""
    digital_source_type: str = ""  # the IPTC term, e.g. "trainedAlgorithmicMedia"

    def to_dict(self) -> dict:
        return {
            "action": self.action,
            "software_agent": self.software_agent,
            "digital_source_type": self.digital_source_type,
        }


@dataclass(frozen=True)
class ContentCredential:
    """What the active C2PA manifest says and whether it checks out."""

    status: str
    signer: str = ""  # the signing certificate's common name
    issuer: str = ""  # the organisation named in the signing certificate
    trusted: bool = False
    claim_generator: str = ""
    title: str = ""
    actions: tuple[CredentialAction, ...] = ()
    digital_source_type: str = ""
    failures: tuple[str, ...] = ()  # validation failure codes, e.g. "assertion.dataHash.mismatch"
    problems: tuple[str, ...] = ()

    @property
    def signed_by(self) -> str:
        """The name to show: the certificate's organisation, else its common name."""
        return self.issuer or self.signer

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "signer": self.signer,
            "issuer": self.issuer,
            "trusted": self.trusted,
            "claim_generator": self.claim_generator,
            "title": self.title,
            "actions": [a.to_dict() for a in self.actions],
            "digital_source_type": self.digital_source_type,
            "failures": list(self.failures),
            "problems": list(self.problems),
        }


def source_type_term(uri: str) -> str:
    """``http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia`` -> ``trainedAlgorithmicMedia``."""
    uri = str(uri or "").strip()
    return clip(uri.rstrip("/").rsplit("/", 1)[-1], 80) if uri else ""


def read_content_credential(path: str, *, timeout_s: float = C2PA_TIMEOUT_S) -> ContentCredential:
    """The C2PA status of the file at ``path``. Never raises; at most ``timeout_s`` seconds.

    The native reader hashes the whole file, so it runs in a daemon thread that is left behind
    (not waited for) when it runs past ``timeout_s``.
    """
    try:
        import c2pa  # noqa: F401 - loads a 20 MB native library: only when asked
    except Exception as exc:  # noqa: BLE001 - ImportError or a native library that does not load
        return ContentCredential(
            "not checked",
            problems=(f"Content Credentials were not checked: c2pa-python is not available ({clip(exc, 100)}).",),
        )
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = _read(path)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=work, name="c2pa-read", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        return ContentCredential(
            "not checked",
            problems=(f"Content Credentials were not checked: the check took longer than {timeout_s:g} s.",),
        )
    if "error" in box:
        error = box["error"]
        return ContentCredential(
            "not checked",
            problems=(f"Content Credentials could not be checked ({clip(error, 160) or type(error).__name__}).",),
        )
    return box["result"]


def _read(path: str) -> ContentCredential:
    import c2pa

    suffix = Path(path).suffix.lower().lstrip(".")
    supported = {m.lower() for m in c2pa.Reader.get_supported_mime_types()}
    if suffix and suffix not in supported:
        return ContentCredential(
            "not checked",
            problems=(f"Content Credentials are not defined for .{clip(suffix, 10)} files, so none were looked for.",),
        )
    context = c2pa.Context.from_dict(_OFFLINE)
    try:
        reader = c2pa.Reader.try_create(path, None, None, context)
    except c2pa.C2paError as exc:
        text = clip(exc, 160)
        if "remote" in text.lower():
            return ContentCredential(
                "present",
                problems=(
                    "The file points to a Content Credential stored online; the app works offline and did not fetch it.",
                ),
            )
        return ContentCredential("invalid", problems=(f"The Content Credential could not be read ({text}).",))
    if reader is None:
        return ContentCredential("absent")
    with reader:
        store = json.loads(reader.json())
        state = str(reader.get_validation_state() or "")
    return _credential(store, state)


def _credential(store: dict, state: str) -> ContentCredential:
    label = store.get("active_manifest")
    manifest = (store.get("manifests") or {}).get(label) or {}
    sig = manifest.get("signature_info") or {}
    gen_info = manifest.get("claim_generator_info") or []
    claim_generator = manifest.get("claim_generator") or ""
    if not claim_generator and gen_info and isinstance(gen_info[0], dict):
        first = gen_info[0]
        claim_generator = " ".join(str(first.get(k, "")) for k in ("name", "version")).strip()
    actions: list[CredentialAction] = []
    for assertion in manifest.get("assertions") or []:
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for act in (assertion.get("data") or {}).get("actions") or []:
            if len(actions) >= MAX_ACTIONS:
                break
            agent = act.get("softwareAgent") or ""
            if isinstance(agent, dict):
                agent = " ".join(str(agent.get(k, "")) for k in ("name", "version")).strip()
            actions.append(
                CredentialAction(
                    action=clip(act.get("action", ""), 80),
                    software_agent=clip(agent, 120),
                    digital_source_type=source_type_term(act.get("digitalSourceType", "")),
                )
            )
    source_type = next((a.digital_source_type for a in actions if a.digital_source_type), "")
    failures = tuple(
        clip(f.get("code", ""), 80)
        for f in ((store.get("validation_results") or {}).get("activeManifest") or {}).get("failure") or []
    )[:16]
    lowered = state.lower()
    status = {"valid": "valid", "trusted": "valid", "invalid": "invalid"}.get(lowered, "present")
    problems = (
        ()
        if status != "present"
        else (
            "The Content Credential was found but its check gave no verdict"
            + (f" ({clip(state, 40)})" if state else "")
            + ".",
        )
    )
    return ContentCredential(
        status=status,
        signer=clip(sig.get("common_name", ""), 120),
        issuer=clip(sig.get("issuer", ""), 120),
        trusted=lowered == "trusted",
        claim_generator=clip(claim_generator, 120),
        title=clip(manifest.get("title", "")),
        actions=tuple(actions),
        digital_source_type=source_type,
        failures=failures,
        problems=problems,
    )
