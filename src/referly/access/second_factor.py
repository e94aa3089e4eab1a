"""The second factor of a local login: an authenticator app (TOTP) and ten one-time recovery codes.

Enrolment makes an unconfirmed authenticator, confirmed by its first code; the recovery codes are made then and
shown once. Each code is checked against the login's own devices, with django-otp's throttling (every wrong
code doubles the wait before the next is checked) and its replay guard (a code is accepted once).
Services never commit: the request or command around them does.
"""

from __future__ import annotations

import math
import re
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import segno
from django.contrib.auth.models import User
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from referly.audit.trail import record
from referly.errors import Conflict, InvalidInput, NotFound

RECOVERY_CODES = 10
AUTHENTICATOR = "Authenticator app"
RECOVERY = "Recovery codes"
_SPACING = re.compile(r"[\s-]+")


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret for typing, the URI for a link, the QR code as SVG markup."""

    secret: str
    uri: str
    qr_svg: str


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of one code: accepted (by the authenticator or a recovery code), or refused and why."""

    accepted: bool
    recovery_used: bool = False
    recovery_left: int = 0
    wait_seconds: int = 0  # refused unchecked: the wait after earlier wrong codes is not over

    @property
    def throttled(self) -> bool:
        return not self.accepted and self.wait_seconds > 0


def is_local(user: User) -> bool:
    """A login with a password: single sign-on logins (no usable password) are left to their provider."""
    return user.has_usable_password()


def authenticator(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enrolled(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def recovery_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def enrolment(user: User) -> Enrolment:
    """The authenticator being enrolled (a new one when there is none yet), as the page shows it."""
    if not is_local(user):
        raise Conflict(
            "Your identity provider asks your second factor: there is nothing to enrol here", code="sso_login"
        )
    if is_enrolled(user):
        raise Conflict("Two-factor sign-in is already on", code="already_enrolled")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)
    uri = device.config_url
    return Enrolment(secret=_spaced(b32encode(device.bin_key).decode()), uri=uri, qr_svg=qr_svg(uri))


def qr_svg(uri: str) -> str:
    """The URI as a QR code in SVG markup (no XML declaration), scaled by the page's CSS."""
    code = segno.make(uri, error="m", micro=False)
    return code.svg_inline(scale=4, dark="#111", light="#fff", title="otpauth QR code")


def confirm(user: User, code: str, request: HttpRequest | None = None) -> list[str]:
    """Turn the pending authenticator on with its first code; returns the ten recovery codes (shown once)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        if is_enrolled(user):
            raise Conflict("Two-factor sign-in is already on", code="already_enrolled")
        raise NotFound("Start the enrolment again: no authenticator is waiting for its first code")
    allowed, why = device.verify_is_allowed()
    if not allowed:
        raise InvalidInput(_wait_sentence(_wait(why)), field="code", code="code_throttled")
    if not device.verify_token(_plain(code)):
        raise InvalidInput(
            "This code is not the one your authenticator shows now: check its clock and try the next code",
            field="code",
            code="wrong_code",
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    _record("otp.enabled", user, request)
    return codes


def new_recovery_codes(user: User, code: str, request: HttpRequest | None = None) -> list[str]:
    """Ten new recovery codes in place of the old ones, after a code from the authenticator."""
    checked = check(user, code, request=request, allow_recovery=False)
    if not checked.accepted:
        raise _refusal(checked)
    return _new_recovery_codes(user)


def check(user: User, code: str, *, request: HttpRequest | None = None, allow_recovery: bool = True) -> CodeCheck:
    """Is ``code`` the authenticator's current code or one of the unused recovery codes? A recovery code that
    is accepted is spent; a refusal is recorded (otp.failed), a spent recovery code too (otp.recovery_used)."""
    plain = _plain(code)
    is_totp = plain.isdigit() and len(plain) in (6, 8)
    if is_totp:
        device: TOTPDevice | StaticDevice | None = (
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        )
    else:
        device = (
            StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            if allow_recovery
            else None
        )
    if device is None:
        record("otp.failed", request=request, user=user, subject=user.username, detail={"reason": "no_device"})
        return CodeCheck(accepted=False)
    allowed, why = device.verify_is_allowed()
    if not allowed:
        return CodeCheck(accepted=False, wait_seconds=_wait(why))
    if not device.verify_token(plain):
        _record("otp.failed", user, request, {"kind": "totp" if is_totp else "recovery"})
        return CodeCheck(accepted=False)
    left = recovery_left(user)
    if not is_totp:
        _record("otp.recovery_used", user, request, {"left": left})
    return CodeCheck(accepted=True, recovery_used=not is_totp, recovery_left=left)


def disable(user: User, code: str, request: HttpRequest | None = None) -> None:
    """Turn two-factor sign-in off, proved by a code (the authenticator's or a recovery code)."""
    if not is_enrolled(user):
        raise Conflict("Two-factor sign-in is not on", code="not_enrolled")
    checked = check(user, code, request=request)
    if not checked.accepted:
        raise _refusal(checked)
    _forget_devices(user)
    _record("otp.disabled", user, request)


def reset(user: User, by: str) -> bool:
    """An admin's reset (`referly user reset-2fa`): every device of ``user`` removed. True when there was one."""
    had = is_enrolled(user) or TOTPDevice.objects.filter(user=user).exists()
    _forget_devices(user)
    if had:
        record(
            "otp.disabled",
            user=user,
            actor_label=by,
            subject=user.username,
            detail={"reset_by": by},
            mentions=[user.email],
        )
    return had


def _forget_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()  # its codes go with it


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def _plain(code: str) -> str:
    """A code as typed, without its spaces or dashes, in lower case (recovery codes are base32)."""
    return _SPACING.sub("", code).lower()[:16]


def _spaced(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _wait(why: dict[str, object] | None) -> int:
    until = (why or {}).get("locked_until")
    if not isinstance(until, datetime):
        return 1
    from django.utils import timezone

    return max(1, math.ceil((until - timezone.now()).total_seconds()))


def _wait_sentence(seconds: int) -> str:
    return f"Too many wrong codes in a row: wait {seconds} seconds before the next one"


def _refusal(checked: CodeCheck) -> InvalidInput:
    if checked.throttled:
        return InvalidInput(_wait_sentence(checked.wait_seconds), field="code", code="code_throttled")
    return InvalidInput("This code is not accepted", field="code", code="wrong_code")


def _record(kind: str, user: User, request: HttpRequest | None, detail: dict[str, Any] | None = None) -> None:
    """An event about ``user``'s second factor: the user is the subject and mentioned by address."""
    record(kind, request=request, user=user, subject=user.username, detail=detail, mentions=[user.email])
