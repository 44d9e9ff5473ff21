"""Signing in and out on pages: password, authenticator code (or setting one up),
single sign-on, confirming it's you before a sensitive action, and changing or
resetting a password.

Every POST form here carries the CSRF token. Each step answers with a redirect
on success, so refreshing a page never re-sends a password or a code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import AfterValidator, StringConstraints
from starlette.concurrency import run_in_threadpool

from jigsaw import clock
from jigsaw.drafts import service as stored_drafts
from jigsaw.errors import Conflict, InvalidInput, NotSignedIn
from jigsaw.identity import oidc, sessions, totp
from jigsaw.identity import service as access
from jigsaw.identity.dependencies import (
    DB,
    Accounts,
    CurrentActor,
    RecentlyAuthenticatedActor,
    SignedInActor,
)
from jigsaw.identity.passwords import MIN_PASSWORD_LENGTH
from jigsaw.policy.actor import Actor
from jigsaw.web.csrf import CSRF_SESSION_KEY, require_csrf
from jigsaw.web.forms import Posted, RawPageForm, Says, by_field, validate_form
from jigsaw.web.templating import redirect, render

router = APIRouter(include_in_schema=False)

SIGNED_OUT_KEY = "signed_out"
PASSWORD_RESET_KEY = "password_reset"  # noqa: S105 (a session key)
PASSWORD_PAGE = "/account/password"  # noqa: S105 (an address)
RESET_PAGE = "/reset-password"
NEW_PASSWORD_HINT = (
    f"Use {MIN_PASSWORD_LENGTH} characters or more. A few unrelated words together make a "
    "password that is long but easy to remember."
)
BLANK = {
    "email": "Enter your email address",
    "password": "Enter your password",
    "current_password": "Enter your current password",
    "new_password": "Enter a new password",
    "code": "Enter the reset code your administrator gave you",
}
ENTER_CODE = "Enter the 6-digit code from your authenticator app"
CODE_FORMAT = "Enter the code as 6 digits, for example 123456"
CODE_PAGE = "/sign-in/code"
SET_UP_PAGE = "/sign-in/set-up-authenticator"
CsrfChecked = [Depends(require_csrf)]


def _code_format(code: str) -> str:
    if totp.normalise_code(code) is None:
        raise ValueError(CODE_FORMAT)
    return code


Trimmed = StringConstraints(strip_whitespace=True, min_length=1)
Email = Annotated[str, Says(BLANK["email"]), Trimmed]
Password = Annotated[str, Says(BLANK["password"])]
NewPassword = Annotated[str, Says(BLANK["new_password"])]
Code = Annotated[str, Says(ENTER_CODE), Trimmed, AfterValidator(_code_format)]


class SignInForm(RawPageForm):
    """Passwords are checked exactly as typed, so only the email address is trimmed."""

    email: Email
    password: Password


class CodeForm(RawPageForm):
    code: Code


class ReauthenticateForm(RawPageForm):
    password: Password
    code: Code


class ChangePasswordForm(RawPageForm):
    current_password: Annotated[str, Says(BLANK["current_password"])]
    new_password: NewPassword


class ResetPasswordForm(RawPageForm):
    email: Email
    code: Annotated[str, Says(BLANK["code"]), Trimmed]
    new_password: NewPassword


def _sso_name(request: Request) -> str | None:
    provider = oidc.provider_for(request)
    return provider.name if provider else None


def _after_sign_in(request: Request) -> Response:
    return redirect(sessions.safe_next(request.session.pop(sessions.NEXT, None)))


def _person_id(actor: Actor) -> int:
    assert actor.practitioner_id is not None
    return actor.practitioner_id


# Password


def _sign_in_page(
    request: Request, errors: dict[str, str], email: str, status_code: int = 200, **extra: Any
) -> Response:
    context = {
        "title": "Sign in",
        "errors": errors,
        "email": email,
        "sso_name": _sso_name(request),
        **extra,
    }
    return render(request, "sign_in.html", context, status_code=status_code)


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    signed_out = bool(request.session.pop(SIGNED_OUT_KEY, False))
    password_reset = bool(request.session.pop(PASSWORD_RESET_KEY, False))
    return _sign_in_page(request, {}, "", signed_out=signed_out, password_reset=password_reset)


@router.post("/sign-in", dependencies=CsrfChecked)
def sign_in(request: Request, db: DB, accounts: Accounts, form: Posted) -> Response:
    entered, problems = validate_form(form, SignInForm)
    errors = by_field(problems)
    status = 422
    if entered is not None:
        try:
            checked = access.check_password(db, accounts, entered.email, entered.password)
        except access.AccountLocked as locked:
            errors["email"], status = str(locked), 429
        except access.SignInFailed as failed:
            errors["email"], status = str(failed), 401
        else:
            # A fresh session on sign-in, so a session planted beforehand is worthless.
            sessions.start(
                request.session, _person_id(checked.actor), clock.utcnow(), mfa_verified=False
            )
            return redirect(CODE_PAGE if checked.enrolled else SET_UP_PAGE)
    return _sign_in_page(request, errors, form.text("email"), status)


@router.post("/sign-out", dependencies=CsrfChecked)
def sign_out(request: Request, db: DB) -> Response:
    state = sessions.read(request.session)
    if state is not None:
        access.end_sessions(db, state.practitioner_id)
        stored_drafts.discard_all(db, state.practitioner_id)
    request.session.clear()
    request.session[SIGNED_OUT_KEY] = True
    return redirect("/sign-in")


# The second factor


def _pending(db: DB, actor: Actor) -> str | None:
    """Where a half-signed-in person belongs, or None if this step is right."""
    if actor.mfa_verified:
        return "/"
    return None if access.second_factor_enrolled(db, _person_id(actor)) else SET_UP_PAGE


def _code_page(request: Request, errors: dict[str, str], status_code: int = 200) -> Response:
    context = {"title": "Enter the 6-digit code", "errors": errors}
    return render(request, "sign_in_code.html", context, status_code=status_code)


@router.get(CODE_PAGE)
def code_form(request: Request, actor: SignedInActor, db: DB) -> Response:
    elsewhere = _pending(db, actor)
    return redirect(elsewhere) if elsewhere else _code_page(request, {})


def _second_factor_passed(request: Request) -> Response:
    sessions.second_factor_passed(request.session, clock.utcnow(), forget=(CSRF_SESSION_KEY,))
    return _after_sign_in(request)


def _check_code(
    request: Request,
    form: Posted,
    check: Callable[[str], object],
    again: Callable[[dict[str, str], int], Response],
) -> Response:
    """Signing in with a code and setting up the app that makes one refuse a code alike,
    so a locked account or a wrong code reads the same on both pages."""
    entered, problems = validate_form(form, CodeForm)
    if entered is None:
        return again(by_field(problems), 422)
    try:
        check(entered.code)
    except access.AccountLocked as locked:
        return again({"code": str(locked)}, 429)
    except access.CodeRefused as refused:
        return again({"code": str(refused)}, 401)
    return _second_factor_passed(request)


@router.post(CODE_PAGE, dependencies=CsrfChecked)
def enter_code(
    request: Request, actor: SignedInActor, db: DB, accounts: Accounts, form: Posted
) -> Response:
    elsewhere = _pending(db, actor)
    if elsewhere:
        return redirect(elsewhere)
    return _check_code(
        request,
        form,
        lambda code: access.verify_code(db, accounts, _person_id(actor), code),
        lambda errors, status: _code_page(request, errors, status),
    )


def _set_up_page(
    request: Request, db: DB, accounts: Accounts, actor: Actor, errors: dict[str, str], status: int
) -> Response:
    enrolment = access.start_enrolment(db, accounts, _person_id(actor))
    email = access.get_practitioner(db, _person_id(actor)).email
    context = {
        "title": "Set up your authenticator app",
        "errors": errors,
        "qr_svg": totp.qr_svg(
            enrolment.uri, f"QR code to add your {totp.ISSUER} account to an authenticator app"
        ),
        "grouped_secret": totp.grouped(enrolment.secret),
        "account": email,
    }
    return render(request, "set_up_authenticator.html", context, status_code=status)


def _not_setting_up(db: DB, actor: Actor) -> str | None:
    if actor.mfa_verified:
        return "/"
    return CODE_PAGE if access.second_factor_enrolled(db, _person_id(actor)) else None


@router.get(SET_UP_PAGE)
def set_up_form(request: Request, actor: SignedInActor, db: DB, accounts: Accounts) -> Response:
    elsewhere = _not_setting_up(db, actor)
    return redirect(elsewhere) if elsewhere else _set_up_page(request, db, accounts, actor, {}, 200)


@router.post(SET_UP_PAGE, dependencies=CsrfChecked)
def confirm_set_up(
    request: Request, actor: SignedInActor, db: DB, accounts: Accounts, form: Posted
) -> Response:
    elsewhere = _not_setting_up(db, actor)
    if elsewhere:
        return redirect(elsewhere)
    try:
        return _check_code(
            request,
            form,
            lambda code: access.confirm_enrolment(db, accounts, _person_id(actor), code),
            lambda errors, status: _set_up_page(request, db, accounts, actor, errors, status),
        )
    except Conflict:
        return redirect(CODE_PAGE)


# Confirming it's you before a sensitive action


def _reauth_page(
    request: Request,
    db: DB,
    actor: Actor,
    next_path: str,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    context = {
        "title": "Confirm it\N{RIGHT SINGLE QUOTATION MARK}s you",
        "errors": errors,
        "next": sessions.safe_next(next_path),
        "has_password": access.has_password(db, _person_id(actor)),
        "sso_name": _sso_name(request),
    }
    return render(request, "reauthenticate.html", context, status_code=status_code)


@router.get("/re-authenticate")
def reauthenticate_form(request: Request, actor: CurrentActor, db: DB, next: str = "/") -> Response:
    return _reauth_page(request, db, actor, next, {})


@router.post("/re-authenticate", dependencies=CsrfChecked)
def reauthenticate(
    request: Request, actor: CurrentActor, db: DB, accounts: Accounts, form: Posted
) -> Response:
    # Where to go next is a hidden field, not the person's answer: kept out of the model.
    next = form.text("next") or "/"
    entered, problems = validate_form(form, ReauthenticateForm)
    if entered is None:
        return _reauth_page(request, db, actor, next, by_field(problems), 422)
    try:
        access.reauthenticate(db, accounts, _person_id(actor), entered.password, entered.code)
    except access.AccountLocked as locked:
        return _reauth_page(request, db, actor, next, {"password": str(locked)}, 429)
    except access.CodeRefused as refused:
        return _reauth_page(request, db, actor, next, {"password": str(refused)}, 401)
    sessions.reauthenticated(request.session, clock.utcnow())
    return redirect(sessions.safe_next(next))


def reauthentication_location(request: Request) -> str:
    """Where to send someone whose sign-in is too old, and how to bring them back.

    After a form POST the page to come back to is the one holding the form.
    """
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        referer = request.headers.get("referer", "")
        base = str(request.base_url).rstrip("/")
        target = referer[len(base) :] if referer.startswith(base + "/") else "/"
    return "/re-authenticate?" + urlencode({"next": sessions.safe_next(target)})


# Single sign-on


@router.get("/sign-in/sso")
async def sso_start(request: Request, fresh: str = "", next: str = "/") -> Response:
    provider = oidc.provider_for(request)
    if provider is None:
        return redirect("/sign-in")
    request.session[sessions.NEXT] = sessions.safe_next(next)
    callback = str(request.url_for("sso_callback"))
    return await provider.redirect(request, callback, fresh=bool(fresh))


@router.get("/sign-in/sso/callback", name="sso_callback")
async def sso_callback(request: Request, db: DB, accounts: Accounts) -> Response:
    provider = oidc.provider_for(request)
    if provider is None:
        return redirect("/sign-in")
    try:
        identity = await provider.identity(request)
        checked = await run_in_threadpool(
            access.sign_in_federated,
            db,
            accounts,
            identity.email,
            provider_did_mfa=identity.provider_did_mfa,
        )
    except access.AccountLocked as locked:
        return _sign_in_page(request, {"email": str(locked)}, "", 429)
    except NotSignedIn as refused:
        message = f"You could not be signed in with {provider.name}. {refused}."
        return _sign_in_page(request, {"email": message.replace("..", ".")}, "", 401)
    sessions.start(
        request.session,
        _person_id(checked.actor),
        clock.utcnow(),
        mfa_verified=checked.actor.mfa_verified,
        keep=(sessions.NEXT,),
    )
    if checked.actor.mfa_verified:
        return _after_sign_in(request)
    return redirect(CODE_PAGE if checked.enrolled else SET_UP_PAGE)


# Changing a password


def _password_page(request: Request, errors: dict[str, str], status_code: int = 200) -> Response:
    context = {"title": "Change your password", "errors": errors, "hint": NEW_PASSWORD_HINT}
    return render(request, "change_password.html", context, status_code=status_code)


@router.get(PASSWORD_PAGE)
def change_password_form(request: Request, _actor: RecentlyAuthenticatedActor) -> Response:
    return _password_page(request, {})


@router.post(PASSWORD_PAGE, dependencies=CsrfChecked)
def change_password(
    request: Request, actor: RecentlyAuthenticatedActor, db: DB, accounts: Accounts, form: Posted
) -> Response:
    entered, problems = validate_form(form, ChangePasswordForm)
    if entered is None:
        return _password_page(request, by_field(problems), 422)
    try:
        ended = access.change_password(
            db, accounts, actor, entered.current_password, entered.new_password
        )
    except access.AccountLocked as locked:
        return _password_page(request, {"current_password": str(locked)}, 429)
    except InvalidInput as refused:
        return _password_page(request, {p.field: p.message for p in refused.problems}, 422)
    # Every session ended with the change; the person who made it carries on in a new one.
    sessions.restart_after(request.session, _person_id(actor), ended, clock.utcnow())
    return redirect(f"{PASSWORD_PAGE}/changed")


@router.get(f"{PASSWORD_PAGE}/changed")
def password_changed(request: Request, _actor: CurrentActor) -> Response:
    return render(request, "password_changed.html", {"title": "Password changed"})


# Resetting a forgotten password with a code from an administrator


def _reset_page(
    request: Request,
    errors: dict[str, str],
    email: str = "",
    code: str = "",
    status_code: int = 200,
) -> Response:
    context = {
        "title": "Set a new password",
        "errors": errors,
        "email": email,
        "code": code,
        "hint": NEW_PASSWORD_HINT,
    }
    return render(request, "reset_password.html", context, status_code=status_code)


@router.get(RESET_PAGE)
def reset_password_form(request: Request) -> Response:
    return _reset_page(request, {})


@router.post(RESET_PAGE, dependencies=CsrfChecked)
def reset_password(request: Request, db: DB, accounts: Accounts, form: Posted) -> Response:
    entered, problems = validate_form(form, ResetPasswordForm)
    email, code = form.text("email"), form.text("code")
    if entered is None:
        return _reset_page(request, by_field(problems), email, code, 422)
    try:
        access.use_password_reset(db, accounts, entered.email, entered.code, entered.new_password)
    except access.AccountLocked as locked:
        return _reset_page(request, {"email": str(locked)}, email, "", 429)
    except access.ResetRefused as refused:
        return _reset_page(request, {"code": str(refused)}, email, "", 401)
    except InvalidInput as refused:
        found = {p.field: p.message for p in refused.problems}
        return _reset_page(request, found, email, code, 422)
    request.session.clear()
    request.session[PASSWORD_RESET_KEY] = True
    return redirect("/sign-in")


# An administrator gives a practitioner a reset code


def _issue_url(practitioner_id: int) -> str:
    return f"/practitioners/{practitioner_id}/password-reset"


@router.get("/practitioners/{practitioner_id}/password-reset")
def issue_reset_form(
    request: Request, practitioner_id: int, actor: RecentlyAuthenticatedActor, db: DB
) -> Response:
    name = access.practitioner_to_reset(db, actor, practitioner_id)
    context = {
        "title": f"Give {name} a password reset code",
        "name": name,
        "action": _issue_url(practitioner_id),
    }
    return render(request, "issue_password_reset.html", context)


@router.post("/practitioners/{practitioner_id}/password-reset", dependencies=CsrfChecked)
def issue_reset(
    request: Request, practitioner_id: int, actor: RecentlyAuthenticatedActor, db: DB
) -> Response:
    """The code is shown on this answer only; reloading issues nothing and shows nothing."""
    name = access.practitioner_to_reset(db, actor, practitioner_id)
    issued = access.issue_password_reset(db, actor, practitioner_id)
    context = {
        "title": "Password reset code",
        "name": name,
        "code": issued.code,
        "expires_at": issued.expires_at,
        "reset_page": RESET_PAGE,
    }
    return render(request, "password_reset_issued.html", context)
