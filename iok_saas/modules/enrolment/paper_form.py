"""The printable access application of a tenant that takes applications on paper: its
letterhead, the fields the office needs, the legal titles its policy accepts, where to
bring or send the form, and what happens next — generated from the manifest and policy."""

from __future__ import annotations

from flask_babel import gettext as _

from iok_saas.modules.letters import letterhead_from_tenant
from iok_saas.modules.letters.document import PdfSection, document_pdf
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import utcnow

from . import services

BLANK = "_" * 44
BOX = "[   ]"


def paper_channels() -> list[str]:
    """The policy's channels that take a printed form (paper at the office, a scan)."""
    return [c for c in services.office_channels() if c in ("paper", "email_scan")]


def application_form_pdf() -> bytes:
    tenant = current_tenant
    sections = [
        PdfSection(_("Dane wnioskodawcy"), pairs=[
            (_("Imię i nazwisko"), BLANK),
            (_("Adres lokalu (ulica i numer)"), BLANK),
            (_("Miejscowość"), BLANK),
            (_("Telefon"), BLANK),
            (_("Adres e-mail"), BLANK),
        ]),
        PdfSection(_("Tytuł prawny do lokalu (zaznacz jeden)"), paragraphs=[
            f"{BOX}  {services.APPLICANT_LABELS[t]}" for t in services.eligible_types()]),
        PdfSection(_("Jak złożyć wniosek"), paragraphs=_where_to_file()),
        PdfSection(_("Co dalej"), paragraphs=[
            f"{n}. {services.STEP_LABELS[step]}"
            for n, step in enumerate(services.plan_for("paper"), start=1)
            if step in services.STEP_LABELS]),
        PdfSection(_("Oświadczenie"), paragraphs=_statements()),
        PdfSection(_("Podpis"), pairs=[(_("Data"), BLANK), (_("Czytelny podpis"), BLANK)]),
    ]
    return document_pdf(letterhead_from_tenant(tenant),
                        _("Wniosek o dostęp do serwisu internetowego"), sections,
                        issued_at=utcnow())


def _where_to_file() -> list[str]:
    lines = []
    channels = paper_channels()
    if "paper" in channels:
        lines.append(_("Wypełniony i podpisany wniosek złóż w biurze: %(place)s.",
                       place=_office()))
    if "email_scan" in channels:
        email = (current_tenant.info("contact") or {}).get("email")
        if email:
            lines.append(_("Możesz też przesłać skan podpisanego wniosku na adres %(email)s.",
                           email=email))
    return lines


def _office() -> str:
    key = current_tenant.policy.enrolment.filed_with
    department = current_tenant.department(key) if key else None
    if department and department.get("name"):
        return department["name"]
    address = current_tenant.info("address") or {}
    return ", ".join(part for part in (address.get("street"), address.get("city")) if part)


def _statements() -> list[str]:
    lines = [_("Oświadczam, że dane podane we wniosku są zgodne z prawdą.")]
    if current_tenant.policy.enrolment.accept_regulations_at_filing:
        lines.append(_("Złożenie wniosku oznacza akceptację regulaminu serwisu internetowego "
                       "%(name)s.", name=current_tenant.short_name))
    return lines
