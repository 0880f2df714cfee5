"""Signed checkpoints of the audit chains (the idea of Certificate Transparency's signed tree heads).

The hash chain makes an edit visible only to someone who kept an earlier head: anyone who can
write ``audit.sqlite`` can edit a row and recompute every later hash and the head record. A
checkpoint ``{"sandbox", "size", "head", "time", "key_id", "public_key", "signature"}`` is the
chain's head at ``size`` rows, signed with an Ed25519 key kept *outside* ``AULAC_HOME`` (file named
by ``AULAC_AUDIT_KEY``; ``aulac audit keygen``). The regulator keeps the checkpoints; later,
:func:`verify_checkpoint` proves the log still extends each one: the chain is intact from genesis
and its row ``size`` still has hash ``head``. Edited, deleted or re-hashed rows, and a sandbox's
whole chain removed, all fail.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from aulac_rag.audit.chain import GENESIS, canonical_json, verify_chain
from aulac_rag.errors import AuditError

KEY_ENV = "AULAC_AUDIT_KEY"


class Checkpoint(BaseModel):
    """One signed chain head."""

    sandbox: str
    size: int
    head: str
    time: float
    key_id: str
    public_key: str
    signature: str = ""

    def signed_bytes(self) -> bytes:
        body = {"sandbox": self.sandbox, "size": self.size, "head": self.head, "time": self.time, "key_id": self.key_id}
        return canonical_json(body).encode("utf-8")


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise AuditError("signed checkpoints need the 'cryptography' package: pip install cryptography") from exc
    return ed25519


def _raw_public(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def generate_key(out: Path, home: Path | None = None) -> dict[str, str]:
    """Write a new Ed25519 private key to ``out`` (mode 0600, never overwriting, never under ``home``)."""
    from cryptography.hazmat.primitives import serialization

    out = Path(out).resolve()
    if home is not None and out.is_relative_to(Path(home).resolve()):
        raise AuditError(f"{out}: the signing key must live outside AULAC_HOME ({home}), where the log's writer cannot reach it")
    key = _crypto().Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise AuditError(f"{out} already exists; refusing to overwrite a signing key") from None
    except OSError as exc:
        raise AuditError(f"cannot write the signing key {out}: {exc}") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    raw = _raw_public(key.public_key())
    return {"key_file": str(out), "key_id": key_id(raw), "public_key": base64.b64encode(raw).decode()}


def load_key(path: str | None = None) -> Any:
    """The private key named by ``path`` or ``AULAC_AUDIT_KEY``; a one-line AuditError without one."""
    from cryptography.hazmat.primitives import serialization

    path = path or os.environ.get(KEY_ENV)
    if not path:
        raise AuditError(f"no signing key configured: set {KEY_ENV}=KEYFILE (create one with 'aulac audit keygen --out KEYFILE')")
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise AuditError(f"cannot read the signing key {path}: {exc}") from exc
    if not isinstance(key, _crypto().Ed25519PrivateKey):
        raise AuditError(f"{path}: not an Ed25519 private key")
    return key


def make_checkpoint(sandbox: str, head: dict[str, Any], key: Any) -> Checkpoint:
    raw = _raw_public(key.public_key())
    cp = Checkpoint(
        sandbox=sandbox, size=int(head["seq"]), head=str(head["row_hash"]), time=round(time.time(), 3),
        key_id=key_id(raw), public_key=base64.b64encode(raw).decode(),
    )  # fmt: skip
    cp.signature = base64.b64encode(key.sign(cp.signed_bytes())).decode()
    return cp


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """A checkpoint file: one object or a list of them."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        items = data if isinstance(data, list) else [data]
        return [Checkpoint.model_validate(item) for item in items]
    except (OSError, ValueError, ValidationError) as exc:
        raise AuditError(f"{path}: not a checkpoint file ({str(exc).splitlines()[0]})") from exc


def verify_checkpoint(cp: Checkpoint, rows: list[dict[str, Any]]) -> list[str]:
    """Problems (empty when the log still extends ``cp``) given the sandbox's current rows."""
    ed25519 = _crypto()
    from cryptography.exceptions import InvalidSignature

    where = f"checkpoint {cp.sandbox} at {cp.size} rows"
    try:
        raw = base64.b64decode(cp.public_key)
        if key_id(raw) != cp.key_id:
            return [f"{where}: key_id does not match its public key"]
        ed25519.Ed25519PublicKey.from_public_bytes(raw).verify(base64.b64decode(cp.signature), cp.signed_bytes())
    except (InvalidSignature, ValueError):
        return [f"{where}: signature does not verify: the checkpoint was altered or not signed by key {cp.key_id}"]
    if cp.size == 0:
        return [] if cp.head == GENESIS else [f"{where}: an empty chain must have the genesis head"]
    if not rows:
        return [f"{where}: the sandbox's chain is gone (all its rows were deleted)"]
    _, problems, _ = verify_chain(cp.sandbox, rows, check_head=False)
    out = [f"{where}: {p}" for p in problems]
    at = next((r for r in rows if r.get("seq") == cp.size), None)
    if at is None:
        out.append(f"{where}: row {cp.size} is missing: the log was truncated")
    elif at["row_hash"] != cp.head:
        out.append(f"{where}: row {cp.size} no longer has the signed head hash: rows were edited and re-hashed")
    return out
