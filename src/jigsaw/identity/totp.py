"""Time-based one-time codes (RFC 6238): 6 digits, 30-second steps, SHA-1.

Those are the parameters every authenticator app supports. A code is accepted
for the current step and one either side, to allow for clocks that drift and
people who type slowly; which step matched is returned so the caller can refuse
the same step twice (a code seen over someone's shoulder is then worthless).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from datetime import datetime
from html import escape

import pyotp
import segno

DIGITS = 6
INTERVAL_SECONDS = 30
DRIFT_STEPS = 1
ISSUER = "Jigsaw"
_SEPARATORS = re.compile(r"[\s-]+")


def new_secret() -> str:
    """160 random bits in base32, as RFC 4226 recommends."""
    return pyotp.random_base32(32)


def is_valid_secret(secret: str) -> bool:
    """Base32 of at least 128 bits, RFC 4226's minimum."""
    padded = secret + "=" * (-len(secret) % 8)
    try:
        return len(base64.b32decode(padded, casefold=True)) >= 16
    except (binascii.Error, ValueError):
        return False


def normalise_code(code: str) -> str | None:
    """The digits of a typed code ("123 456" and "123-456" are fine), or None."""
    digits = _SEPARATORS.sub("", code)
    return digits if len(digits) == DIGITS and digits.isascii() and digits.isdigit() else None


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // INTERVAL_SECONDS


def code_for_step(secret: str, step: int) -> str:
    return str(pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL_SECONDS).generate_otp(step))


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step the code belongs to, if it is valid around ``now``."""
    typed = normalise_code(code)
    if typed is None:
        return None
    current = step_at(now)
    matched = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Check every candidate, so the time taken does not say which one matched.
        if hmac.compare_digest(code_for_step(secret, step), typed):
            matched = step
    return matched


def provisioning_uri(secret: str, account: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL_SECONDS).provisioning_uri(
        name=account, issuer_name=ISSUER
    )


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(uri: str, label: str) -> str:
    """An inline SVG QR code with an accessible name.

    ``role="img"`` and ``aria-label`` make screen readers announce it as one image
    with that name rather than walking its shapes; the secret is also on the page
    as text for anyone who cannot scan it.
    """
    code = segno.make(uri, error="m")
    svg: str = code.svg_inline(scale=5, dark="#0b0c0c", light="#ffffff", svgclass="app-qr-code")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
