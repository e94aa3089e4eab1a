"""Why a sign-in is refused: a stable code, a sentence for the person, and what the audit trail keeps."""

from __future__ import annotations

from django.utils.translation import gettext as _

from referly.errors import NotPermitted


class Refused(NotPermitted):
    """A sign-in the provider or Referly turned down; ``email`` is the person's when it is known."""

    def __init__(self, message: str, *, code: str, email: str = "", detail: str | None = None) -> None:
        super().__init__(message, code=code, detail=detail)
        self.email = email


def refused(code: str, *, email: str = "", detail: str | None = None) -> Refused:
    """The refusal ``code``, worded in the language of the request."""
    sentences = {
        "provider_error": _("The identity provider did not sign you in."),
        "missing_state": _("The answer from the identity provider is incomplete: start again from the login page."),
        "unknown_state": _(
            "This sign-in was already used, or was not started in this browser: start again from the login page."
        ),
        "token_refused": _(
            "The identity provider refused to confirm this sign-in (its code may have been used already): start again "
            "from the login page."
        ),
        "invalid_token": _("The identity provider's answer could not be checked: start again from the login page."),
        "wrong_audience": _("The identity token was issued for another application, not for this Referly."),
        "wrong_issuer": _("The identity token comes from another identity provider than the one set up here."),
        "bad_signature": _("The identity token's signature does not match the identity provider's keys."),
        "expired": _(
            "The identity token has expired: if this keeps happening, this server's clock and the identity "
            "provider's disagree."
        ),
        "not_yet_valid": _(
            "The identity token is dated in the future: this server's clock and the identity provider's disagree."
        ),
        "no_email": _("The identity provider gave no e-mail address: Referly needs one to know who you are."),
        "unverified_email": _(
            "Your identity provider has not verified the e-mail address %(email)s: only verified addresses may sign in."
        )
        % {"email": email},
        "no_role": _("%(email)s is in no group that gives a Referly role: ask your administrator to add you to one.")
        % {"email": email},
        "inactive": _("The login %(email)s is switched off in Referly.") % {"email": email},
    }
    return Refused(sentences.get(code, _("The sign-in was refused.")), code=code, email=email, detail=detail)
