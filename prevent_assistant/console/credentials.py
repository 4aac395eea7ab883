"""Passwords, TOTP codes and recovery codes: how each is checked, hashed and compared.

Passwords: Argon2id through argon2-cffi's PasswordHasher (its RFC 9106 defaults), rehashed at login when the
parameters change. A password must be at least 12 characters and not on content/common-passwords.txt,
compared case-insensitively and also with leading and trailing digits and symbols removed ("Password2024!"
is "password" with decoration). TOTP: pyotp, 30-second steps, one step of clock drift either way; the QR
code is drawn here by segno as an SVG data: URL, so the secret never leaves the server for a QR service.
Recovery codes are random (50 bits each), so a plain SHA-256 of each is enough to store: unlike a password
they cannot be guessed from a list, and checking ten Argon2 hashes per attempt would only slow the login.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import datetime, timezone
from functools import cache

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from prevent_assistant.content import CONTENT_DIR

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # bounds the work one login attempt can cause
COMMON_PASSWORDS_FILE = CONTENT_DIR / "common-passwords.txt"
RECOVERY_CODE_COUNT = 10
# As the handoff references: no 0/O, 1/I/L, 5/S or 8/B, so a code copied by hand is typed back right.
RECOVERY_ALPHABET = "ACDEFGHJKMNPQRTUVWXYZ234679"
ISSUER = "Prevent assistant console"
_DECORATION = re.compile(r"^[\d\W_]+|[\d\W_]+$")
_hasher = PasswordHasher()


class PasswordRejected(ValueError):
    """The password breaks a rule; the message says which, in plain words."""


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, name: str = "") -> None:
    """Raise PasswordRejected unless `password` may be used (by the account `name`)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"the password must be at most {MAX_PASSWORD_LENGTH} characters long")
    lowered = password.lower()
    common = common_passwords()
    if lowered in common or _DECORATION.sub("", lowered) in common:
        raise PasswordRejected("that password is on the list of commonly used passwords; choose another")
    if name and name.lower() in lowered:
        raise PasswordRejected("the password must not contain the account name")
    if len(set(lowered)) < 4:
        raise PasswordRejected("the password repeats too few different characters; choose another")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches. With no hash (an unknown name) a dummy hash is checked instead, so the
    answer takes as long as for a real account and timing does not tell which names exist."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password[:MAX_PASSWORD_LENGTH]) and bool(
            password_hash
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def temporary_password() -> str:
    """A one-time password an admin hands over; 20 characters from the unambiguous alphabet (~95 bits)."""
    code = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(20))
    return "-".join(code[i : i + 5] for i in range(0, 20, 5))


# --- TOTP ----------------------------------------------------------------------------------------------
def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The otpauth: URI as a QR code, an SVG data: URL (allowed by the page's img-src), dark on light."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def matching_counter(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code `code` is (now, or one step either side), else None."""
    code = re.sub(r"\s", "", code)
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    moment = datetime.fromtimestamp(time.time() if now is None else now, tz=timezone.utc)
    counter = totp.timecode(moment)
    for step in (counter - 1, counter, counter + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# --- Recovery codes ------------------------------------------------------------------------------------
def new_recovery_codes() -> list[str]:
    """Ten codes such as 'K7QX-R2MD' (10 characters from a 27-letter alphabet, ~47 bits each)."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise_recovery_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def recovery_code_hash(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode("utf-8")).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return len(normalise_recovery_code(code)) == 10
