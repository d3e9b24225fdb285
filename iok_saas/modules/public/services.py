from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from iok_saas.markup import markdown_to_html
from iok_saas.policy.schema import STEP_CHANNELS
from iok_saas.tenancy import TenantSnapshot

DEFAULT_PRIMARY = "#1f4e79"
DEFAULT_ACCENT = "#f0b429"


def languages() -> tuple[str, ...]:
    return tuple(current_app.config["IOK_LANGUAGES"])


def safe_next(target: str | None) -> str:
    """Only same-site relative paths: never '//evil.example' nor 'https://…'. Control
    characters and blanks are refused too: browsers drop a tab or newline from a URL, so
    '/<TAB>/evil.example' would become '//evil.example' (and a newline breaks the header)."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ch.isspace() or not ch.isprintable() for ch in target)):
        return url_for("site.start")
    return target


def _filing_texts() -> dict[str, str]:
    return {
        "electronic_form": _("przez formularz elektroniczny"),
        "paper_application": _("na papierze w biurze (formularz można pobrać lub wypełnić "
                               "na miejscu)"),
        "in_person_request": _("osobiście w biurze, z dokumentem tożsamości"),
    }


def _step_texts() -> dict[str, str]:
    return {
        "manager_creates": _("Konto zakłada zarządca dla każdego właściciela lokalu — "
                             "nie trzeba składać wniosku. Login jest nadawany automatycznie "
                             "i się nie zmienia."),
        "confirm_email": _("Potwierdź adres e-mail, klikając odnośnik z wiadomości, "
                           "którą od nas otrzymasz."),
        "staff_review": _("Pracownicy sprawdzą podane dane i Twój tytuł prawny do lokalu."),
        "notify_account_ready": _("Powiadomimy Cię, gdy dane dostępowe będą gotowe "
                                  "do odbioru."),
        "in_person_pickup": _("Odbierz osobiście dokument z identyfikatorem i hasłem "
                              "początkowym — weź ze sobą dokument tożsamości."),
    }


def access_guide(tenant: TenantSnapshot) -> list[str]:
    """How a resident gets access, step by step, as the tenant's policy orders it."""
    enrolment = tenant.policy.enrolment
    steps = []
    if enrolment.filing_steps:
        ways = _filing_texts()
        steps.append(_("Złóż wniosek o dostęp: %(ways)s.",
                       ways=_(" albo ").join(ways[s] for s in enrolment.filing_steps)))
        if enrolment.accept_regulations_at_filing:
            steps.append(_("Złożenie wniosku oznacza akceptację regulaminu serwisu."))
    texts = _step_texts()
    steps += [texts[s] for s in enrolment.later_steps if s in texts]
    if tenant.policy.initial_password.change_on_first_login:
        steps.append(_("Przy pierwszym logowaniu ustaw własne hasło w miejsce hasła "
                       "początkowego."))
    return steps


def application_channels(tenant: TenantSnapshot) -> frozenset[str]:
    """The channels through which a resident can file an access application: the policy's
    channels that one of its filing steps takes (``electronic``, ``paper``, …)."""
    enrolment = tenant.policy.enrolment
    return frozenset(channel for step in enrolment.filing_steps
                     for channel in STEP_CHANNELS.get(step, ()) if channel in enrolment.channels)


def regulations_html(tenant: TenantSnapshot) -> Markup:
    return markdown_to_html(tenant.info("regulations", {}).get("text", ""))


def branding_css(tenant: TenantSnapshot) -> str:
    brand = tenant.info("branding", {})
    primary = brand.get("primary_color", DEFAULT_PRIMARY)
    accent = brand.get("accent_color", DEFAULT_ACCENT)
    # Colours were validated as #rrggbb by the manifest schema; nothing else is interpolated.
    return (f":root {{ --iok-primary: {primary}; --iok-accent: {accent}; "
            f"--bs-primary: {primary}; --bs-link-color: {primary}; }}\n")


def monogram_svg(tenant: TenantSnapshot) -> str:
    brand = tenant.info("branding", {})
    text = escape(brand.get("logo_text") or tenant.short_name[:3].upper())
    primary = brand.get("primary_color", DEFAULT_PRIMARY)
    accent = brand.get("accent_color", DEFAULT_ACCENT)
    label = escape(tenant.short_name)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 48" role="img" '
        f'aria-label="{label}"><rect width="120" height="48" rx="8" fill="#ffffff"/>'
        f'<rect x="8" y="38" width="104" height="5" rx="2" fill="{accent}"/>'
        '<text x="60" y="31" font-family="sans-serif" font-size="24" font-weight="700" '
        f'fill="{primary}" text-anchor="middle">{text}</text></svg>'
    )
