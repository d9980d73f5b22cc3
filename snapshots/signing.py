"""Where a snapshot comes from: its manifest digest signed with the tracker's Ed25519 key.

The manifest's `snapshot_sha256` covers all of the manifest but itself and the signature: every
file's digest, the counts, every statement's digest, the migrations, the app version and the
export time (see `files.manifest_digest`); signing that digest signs the whole snapshot. A
snapshot edited and resealed (every digest recomputed) keeps a signature that no longer matches,
and one stripped of its signature is refused as unsigned, unless the auditor checks its digest
against the one recorded at export (`--expect-sha256`) or says explicitly that origin is not
checked. Either of the two origin checks is enough on its own: a signature by a key that is not
at hand cannot be checked either way, so with a matching `--expect-sha256` it is reported as
not checked rather than refused; a trusted key's signature that does not match is always refused.

Keys are PEM files: the private key where the tracker exports (`SNAPSHOT_SIGNING_KEY_FILE`),
public keys wherever snapshots are checked (`SNAPSHOT_TRUSTED_KEY_FILES`, `--public-key`).
`snapshot keygen` writes a pair.
"""

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from .records import SnapshotError

ALGORITHM = "ed25519"


def key_id(public_key):
    """A public key's fingerprint: SHA-256 of its 32 raw bytes, in hex."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def _read_pem(path, what):
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        hint = " (make a key pair with `manage.py snapshot keygen PATH`)" if what == "signing key" else ""
        raise SnapshotError(f"The snapshot {what} {path} does not exist{hint}.") from None
    except OSError as exc:
        raise SnapshotError(f"The snapshot {what} {path} cannot be read: {exc.strerror}.") from None


def load_private_key(path):
    """The Ed25519 private key in a PEM file; SnapshotError naming the file if it is not one."""
    try:
        key = serialization.load_pem_private_key(_read_pem(path, "signing key"), password=None)
    except (ValueError, TypeError) as exc:
        raise SnapshotError(f"{path} is not an unencrypted PEM private key ({exc}).") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SnapshotError(f"{path} is not an Ed25519 key: snapshots are signed with Ed25519.")
    return key


def load_public_key(path):
    """The Ed25519 public key in a PEM file; SnapshotError naming the file if it is not one."""
    try:
        key = serialization.load_pem_public_key(_read_pem(path, "public key"))
    except ValueError as exc:
        raise SnapshotError(f"{path} is not a PEM public key ({exc}).") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SnapshotError(f"{path} is not an Ed25519 public key.")
    return key


def signing_key():
    """The configured private key, or None when this installation signs nothing."""
    path = settings.SNAPSHOT_SIGNING_KEY_FILE
    return load_private_key(path) if path else None


def trusted_keys(extra_paths=()):
    """{key id: public key} of every key a snapshot may be signed with: the configured ones, those given."""
    keys = [load_public_key(path) for path in [*settings.SNAPSHOT_TRUSTED_KEY_FILES, *extra_paths]]
    own = settings.SNAPSHOT_SIGNING_KEY_FILE
    if own and Path(own).exists():  # where the tracker itself exports; elsewhere its public key is given
        keys.append(load_private_key(own).public_key())
    return {key_id(key): key for key in keys}


def sign(digest, private_key):
    """The manifest's `signature` entry for a snapshot digest."""
    value = private_key.sign(digest.encode("ascii"))
    return {
        "algorithm": ALGORITHM,
        "key_id": key_id(private_key.public_key()),
        "value": base64.b64encode(value).decode("ascii"),
    }


@dataclass
class SignatureCheck:
    """What a manifest's signature says about its origin.

    `verdict` is "valid" (a trusted key signed this digest), "unsigned", "untrusted" (signed
    with a key that is not at hand, so it cannot be checked either way) or "invalid" (malformed,
    or a trusted key's signature that does not match the digest). `problem` says why, in words,
    when it is not "valid"; `key_id` names the key the signature claims.
    """

    verdict: str
    problem: str | None = None
    key_id: str | None = None


def check_signature(manifest, keys):
    """Check the manifest's signature against `keys` ({key id: public key}); returns a SignatureCheck."""
    signature = manifest.get("signature")
    if signature is None:
        return SignatureCheck("unsigned", "the snapshot is unsigned, so its origin cannot be checked")
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        return SignatureCheck(
            "invalid", f"the signature is not an {ALGORITHM} signature of this tracker: {signature!r}"
        )
    claimed = signature.get("key_id")
    key = keys.get(claimed) if isinstance(claimed, str) else None
    if key is None:
        trusted = ", ".join(sorted(keys)) or "none configured"
        return SignatureCheck(
            "untrusted", f"it is signed with key {claimed}, which is not a trusted key (trusted: {trusted})", claimed
        )
    try:
        key.verify(base64.b64decode(signature.get("value", ""), validate=True), manifest["snapshot_sha256"].encode())
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        return SignatureCheck(
            "invalid", "the signature does not match the snapshot's digest: it was changed after it was signed", claimed
        )
    return SignatureCheck("valid", key_id=claimed)


def generate_key_pair(private_path):
    """Write a new Ed25519 key pair: the private key (readable by its owner only) and `<name>.pub`."""
    private_path = Path(private_path)
    public_path = private_path.with_suffix(".pub")
    for path in (private_path, public_path):
        if path.exists():
            raise SnapshotError(f"{path} already exists: a signing key is never overwritten.")
    private_path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(private_pem)
    public_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private_path, public_path, key_id(key.public_key())
