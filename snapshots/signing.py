"""Where a snapshot comes from: its manifest digest signed with the tracker's Ed25519 key.

The manifest's `snapshot_sha256` covers every file's digest, the counts, every statement's digest,
the migrations and the app version; signing that digest signs the whole snapshot. A snapshot
edited and resealed (every digest recomputed) keeps a signature that no longer matches, and one
stripped of its signature is refused as unsigned, unless the auditor checks its digest against
the one recorded at export (`--expect-sha256`) or says explicitly that origin is not checked.

Keys are PEM files: the private key where the tracker exports (`SNAPSHOT_SIGNING_KEY_FILE`),
public keys wherever snapshots are checked (`SNAPSHOT_TRUSTED_KEY_FILES`, `--public-key`).
`snapshot keygen` writes a pair.
"""

import base64
import binascii
import hashlib
import os
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


def signature_problem(manifest, keys):
    """Why the manifest's signature does not prove its origin, or None when a trusted key signed its digest."""
    signature = manifest.get("signature")
    if signature is None:
        return "the snapshot is unsigned, so its origin cannot be checked"
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        return f"the signature is not an {ALGORITHM} signature of this tracker: {signature!r}"
    key = keys.get(signature.get("key_id"))
    if key is None:
        trusted = ", ".join(sorted(keys)) or "none configured"
        return f"it is signed with key {signature.get('key_id')}, which is not a trusted key (trusted: {trusted})"
    try:
        key.verify(base64.b64decode(signature.get("value", ""), validate=True), manifest["snapshot_sha256"].encode())
    except (InvalidSignature, binascii.Error, ValueError):
        return "the signature does not match the snapshot's digest: it was changed after it was signed"
    return None


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
