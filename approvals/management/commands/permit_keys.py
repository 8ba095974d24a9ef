"""``manage.py permit_keys``: the Ed25519 key that signs permit tokens.

    permit_keys                        where the key comes from, and its fingerprint
    permit_keys --generate             write a new key to PERMIT_SIGNING_KEY_FILE
    permit_keys --generate-if-missing  the same, only when no key is configured (make run)
    permit_keys --public               print the public key (PEM): all a verifier needs

A new key does not invalidate the tokens already issued only if verifiers
keep the old public key too: replace a key deliberately, not by accident,
which is why --generate refuses to overwrite a key file without --force.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from approvals import permits


class Command(BaseCommand):
    help = "Show, generate or print the public half of the permit signing key."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--generate", action="store_true", help="write a new key file")
        group.add_argument(
            "--generate-if-missing",
            action="store_true",
            help="write a key file only if no key is configured (for the demo)",
        )
        group.add_argument("--public", action="store_true", help="print the public key (PEM)")
        parser.add_argument(
            "--force", action="store_true", help="with --generate: replace an existing key file"
        )

    def handle(self, *args, generate, generate_if_missing, public, force, **options):
        source, value = permits.configured_key_source()
        if public:
            self.stdout.write(self._public_pem(), ending="")
            return
        if generate or generate_if_missing:
            if source == "env":
                if generate_if_missing:
                    self.stdout.write("permit_keys: the key comes from PERMIT_SIGNING_KEY; kept")
                    return
                raise CommandError(
                    "PERMIT_SIGNING_KEY is set in the environment: unset it to use a key file."
                )
            path = Path(value)
            if path.exists():
                if generate_if_missing:
                    self.stdout.write(f"permit_keys: key present at {path}; kept")
                    self._check()
                    return
                if not force:
                    raise CommandError(
                        f"{path} exists. Replacing it makes permits signed with it fail to "
                        "verify here; add --force if that is what you want."
                    )
            self._write(path, permits.generate_private_key_pem())
            permits.forget_key()
            self.stdout.write(self.style.SUCCESS(f"permit_keys: new key written to {path}"))
            self._check()
            return
        self.stdout.write(f"key source: {'PERMIT_SIGNING_KEY' if source == 'env' else value}")
        self._check()

    def _write(self, path: Path, pem: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Readable by the owner only, from the first byte on.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(pem)
        os.chmod(path, 0o600)

    def _public_pem(self) -> str:
        try:
            return permits.public_key_pem()
        except permits.SigningKeyMissing as exc:
            raise CommandError(str(exc)) from exc

    def _check(self) -> None:
        try:
            fingerprint = permits.key_fingerprint()
        except permits.SigningKeyMissing as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Ed25519 key fingerprint: {fingerprint}")
