"""The permit signing key: where it comes from, loading it once, its public half.

The key is Ed25519, given as PEM in ``PERMIT_SIGNING_KEY`` or in the file
``PERMIT_SIGNING_KEY_FILE`` (``manage.py permit_keys --generate`` writes one).
A verifier needs only the public key (``manage.py permit_keys --public``).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver


class SigningKeyMissing(ImproperlyConfigured):
    """No usable permit signing key is configured."""


def generate_private_key_pem() -> str:
    """A new Ed25519 private key as unencrypted PKCS#8 PEM (``permit_keys --generate``)."""
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode("ascii")
    )


def configured_key_source() -> tuple[str, str]:
    """Where the key comes from: ("env", PEM) or ("file", path); PEM may be empty."""
    pem = (settings.PERMIT_SIGNING_KEY or "").strip()
    if pem:
        # Environments that cannot hold newlines may give "\n" escapes instead.
        return "env", pem.replace("\\n", "\n")
    return "file", str(settings.PERMIT_SIGNING_KEY_FILE)


@cache
def _load_private_key(source: str, value: str) -> Ed25519PrivateKey:
    """The key from its source, read once per process (until ``forget_key``)."""
    if source == "file":
        path = Path(value)
        if not path.is_file():
            raise SigningKeyMissing(
                f"No permit signing key: {path} does not exist. Set PERMIT_SIGNING_KEY or "
                "PERMIT_SIGNING_KEY_FILE, or run `manage.py permit_keys --generate`."
            )
        pem = path.read_bytes()
    else:
        pem = value.encode("ascii", errors="replace")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyMissing(
            f"The permit signing key ({source}) is not a PEM key: {exc}"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyMissing("The permit signing key must be an Ed25519 key.")
    return key


def forget_key() -> None:
    """Read the key again on next use (after it was generated or replaced)."""
    _load_private_key.cache_clear()


@receiver(setting_changed)
def _forget_key(*, setting, **kwargs):
    # A test (or override_settings) that changes the key must not sign with the old one.
    if setting in ("PERMIT_SIGNING_KEY", "PERMIT_SIGNING_KEY_FILE"):
        forget_key()


def private_key() -> Ed25519PrivateKey:
    """The configured signing key; raises SigningKeyMissing when there is none usable."""
    return _load_private_key(*configured_key_source())


def public_key() -> Ed25519PublicKey:
    """The half that verifies: all a verifier needs."""
    return private_key().public_key()


def public_key_pem() -> str:
    """The public key as SubjectPublicKeyInfo PEM (served at /verify/public-key.pem)."""
    return (
        public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def key_fingerprint() -> str:
    """SHA-256 of the raw public key, shortened: says which key signed, nothing more."""
    raw = public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]
