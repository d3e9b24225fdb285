"""The resident's copy of their personal data (GDPR art. 15): one service builds the data,
JSON and PDF are two renderings of it.

Everything the tenant keeps about the signed-in person is included, except secrets: no
password hash (current or historical), no session tokens. Each feature contributes its own
section (``Feature.personal_data``, an ``ExportSection``), so a new feature's data joins the
export without an edit here. Other people appear only as the actor labels the audit trail
stores (e.g. ``staff:a.nowak``).
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import format_currency, format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from iok_saas.extensions import db
from iok_saas.features import ExportSection, features
from iok_saas.modules.accounts.labels import STATE_LABELS as ACCOUNT_STATE_LABELS
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.housing.models import Person
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import utcnow

from .models import ContactCorrection
from .services import STATE_LABELS

FORMAT_VERSION = 1


def _plain(value):
    """A JSON-ready value: ISO dates and times, exact amounts as strings."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def sections(_account, person: Person) -> list[ExportSection]:
    """The contact feature's own section: the person's correction requests."""
    corrections = list(db.session.scalars(
        select(ContactCorrection).where(ContactCorrection.person_id == person.id)
        .order_by(ContactCorrection.id)))
    rows = [{
        "created_at": c.created_at, "requested": c.requested, "note": c.note,
        "state": c.state, "decided_at": c.decided_at, "decided_by": c.decided_by,
        "staff_comment": c.staff_comment,
    } for c in corrections]
    return [ExportSection("contact_corrections", _l("Prośby o korektę danych"), rows, order=40,
                          vocabularies={"state": STATE_LABELS},
                          audit_subjects=(("ContactCorrection",
                                           tuple(c.id for c in corrections)),))]


def feature_sections(account: ResidentAccount, person: Person) -> list[ExportSection]:
    """Every feature's sections, in their PDF order."""
    found: list[ExportSection] = []
    for _feature, collect in features.each("personal_data"):
        contributed = collect(account, person) or []
        found.extend([contributed] if isinstance(contributed, ExportSection) else contributed)
    return sorted(found, key=lambda section: (section.order, section.key))


@dataclass(frozen=True)
class PersonalData:
    data: dict                       # JSON-ready
    sections: list[ExportSection]    # how each feature's part is labelled in the PDF


def personal_data(account: ResidentAccount, *, fmt: str) -> PersonalData:
    """All the tenant's data about the account's person; records an audit row saying the
    resident downloaded it in ``fmt`` (the view commits)."""
    found = feature_sections(account, account.person)
    data = _collect(account, account.person, found)
    record_event(f"resident:{account.login}", "personal_data.exported", account,
                 after={"format": fmt})
    return PersonalData(data, [*found, AUDIT_SECTION])


def _audit_events(found: list[ExportSection]) -> list[dict]:
    subjects = [(kind, ids) for section in found for kind, ids in section.audit_subjects if ids]
    if not subjects:
        return []
    events = db.session.scalars(
        select(AuditEvent).where(or_(*[
            (AuditEvent.subject_type == kind) & AuditEvent.subject_id.in_(ids)
            for kind, ids in subjects]))
        .order_by(AuditEvent.at, AuditEvent.id))
    return [{"at": e.at, "actor": e.actor, "action": e.action, "subject": e.subject_type,
             "before": e.before, "after": e.after} for e in events]


def _collect(account: ResidentAccount, person: Person, found: list[ExportSection]) -> dict:
    data = {
        "format_version": FORMAT_VERSION,
        "generated_at": utcnow(),
        "controller": {"name": current_tenant.legal_name or current_tenant.short_name,
                       "portal": current_tenant.canonical_host},
        "person": {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "phone": person.phone,
            "correspondence_address": person.correspondence_address,
            "reference": person.external_id,
        },
        "account": {
            "login": account.login,
            "state": account.state,
            "created_at": account.created_at,
            "password_changed_at": account.password_changed_at,
            "initial_password_expires_at": account.initial_password_expires_at,
            "letter_number": account.letter_number,
            "regulations_version": account.regulations_version,
            "locked_until": account.locked_until,
            "email_announcements": account.email_announcements,
        },
        **{section.key: section.rows for section in found},
        "audit_events": _audit_events(found),
    }
    return _plain(data)


def as_json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


# --- PDF -----------------------------------------------------------------------------------

AUDIT_SECTION = ExportSection("audit_events", _l("Zdarzenia w dzienniku zmian"), [], order=99)

FIELD_LABELS = {
    "first_name": _l("Imię"), "last_name": _l("Nazwisko"), "email": _l("Adres e-mail"),
    "phone": _l("Telefon"), "correspondence_address": _l("Adres do korespondencji"),
    "reference": _l("Numer w kartotece"), "login": _l("Identyfikator"), "state": _l("Stan"),
    "created_at": _l("Utworzono"), "password_changed_at": _l("Hasło zmienione"),
    "initial_password_expires_at": _l("Hasło początkowe ważne do"),
    "letter_number": _l("Numer pisma z danymi dostępowymi"),
    "regulations_version": _l("Zaakceptowany regulamin"),
    "locked_until": _l("Zablokowane do"), "email_announcements": _l("Ogłoszenia e-mailem"),
    "kind": _l("Rodzaj"), "valid_from": _l("Od"), "valid_to": _l("Do"), "unit": _l("Lokal"),
    "blocked_at": _l("Zablokowano"), "trigger": _l("Przyczyna"), "channel": _l("Kanał"),
    "reason": _l("Opis"), "blocked_by": _l("Kto zablokował"), "lifted_at": _l("Odblokowano"),
    "lifted_by": _l("Kto odblokował"), "lift_method": _l("Sposób"),
    "started_at": _l("Początek"), "last_seen_at": _l("Ostatnia aktywność"),
    "ended_at": _l("Koniec"), "end_reason": _l("Powód zakończenia"),
    "client": _l("Urządzenie / adres"), "at": _l("Kiedy"), "success": _l("Udana"),
    "requested": _l("Wnioskowane zmiany"), "note": _l("Uwagi"),
    "decided_at": _l("Decyzja"), "decided_by": _l("Kto zdecydował"),
    "staff_comment": _l("Komentarz biura"), "category": _l("Kategoria"),
    "place": _l("Miejsce"), "description": _l("Opis"), "status": _l("Status"),
    "updated_at": _l("Zmieniono"), "has_photo": _l("Zdjęcie"), "history": _l("Historia"),
    "occupants": _l("Liczba osób"), "effective_from": _l("Od dnia"),
    "meter": _l("Wodomierz"), "meter_kind": _l("Rodzaj"), "read_on": _l("Data odczytu"),
    "value": _l("Wskazanie"), "member_number": _l("Numer członkowski"),
    "member_since": _l("Członek od"), "member_until": _l("Członek do"),
    "contribution_due": _l("Wpisowe należne"), "contribution_paid": _l("Wpisowe wpłacone"),
    "share_due": _l("Udział należny"), "share_paid": _l("Udział wpłacony"),
    "number": _l("Numer"), "submitted_at": _l("Złożony"), "applicant_type": _l("Kim jesteś"),
    "address": _l("Adres lokalu"), "rejection_reason": _l("Powód odmowy"),
    "closed_at": _l("Zamknięty"), "email_subject": _l("Temat"), "to": _l("Adres"),
    "sent_at": _l("Wysłano"),
    "actor": _l("Kto"), "action": _l("Czynność"), "subject": _l("Dotyczy"),
    "before": _l("Przed"), "after": _l("Po"),
}


_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# Account codes the PDF turns into words (the feature sections carry their own).
ACCOUNT_VOCABULARIES = {"state": ACCOUNT_STATE_LABELS}


def _cell(value, words=None, money: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("tak") if value else _("nie")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    if money:
        with contextlib.suppress(ArithmeticError):
            return format_currency(Decimal(text), "PLN")
    if _ISO_MOMENT.match(text):
        with contextlib.suppress(ValueError):
            return format_datetime(datetime.fromisoformat(text), "dd.MM.yyyy HH:mm")
    if _ISO_DAY.match(text):
        with contextlib.suppress(ValueError):
            return format_date(date.fromisoformat(text), "dd.MM.yyyy")
    return str(words.get(text, text)) if words else text


def _table_section(section: ExportSection, rows: list):
    from iok_saas.modules.letters import PdfSection, PdfTable

    heading = str(section.label)
    if not rows:
        return PdfSection(heading, paragraphs=(_("Brak danych."),))
    if not isinstance(rows[0], dict):
        return PdfSection(heading, paragraphs=tuple(_cell(r) for r in rows))
    if section.key == "titles":
        rows = [{"unit": r["unit"]["label"], "kind": r["kind"], "valid_from": r["valid_from"],
                 "valid_to": r["valid_to"]} for r in rows]
    columns = list(rows[0])

    def cell(row: dict, column: str) -> str:
        return _cell(row.get(column), section.vocabularies.get(column),
                     column in section.money_columns)

    def label(column: str) -> str:
        return str(section.labels.get(column) or FIELD_LABELS.get(column, column))

    if len(columns) > 5:
        # Too wide for a page: one block of label/value pairs per row instead of a table.
        return PdfSection(heading, paragraphs=tuple(
            "; ".join(f"{label(c)}: {cell(r, c)}" for c in columns) for r in rows))
    return PdfSection(heading, table=PdfTable([label(c) for c in columns],
                                              [[cell(r, c) for c in columns] for r in rows]))


def as_pdf(export: PersonalData) -> bytes:
    from iok_saas.modules.letters import PdfSection, document_pdf, letterhead_from_tenant

    data = export.data

    def pairs(section: str, vocabularies=None) -> tuple[tuple[str, str], ...]:
        return tuple((str(FIELD_LABELS.get(k, k)), _cell(v, (vocabularies or {}).get(k)))
                     for k, v in data[section].items())

    sections = [
        PdfSection(_("O tym dokumencie"), paragraphs=(
            _("Kopia danych osobowych, które %(name)s przechowuje o Tobie w serwisie "
              "Internetowej Obsługi Kontrahenta (art. 15 RODO). Ten sam zestaw danych "
              "możesz pobrać w formacie JSON.", name=data["controller"]["name"]),)),
        PdfSection(_("Dane osobowe"), pairs=pairs("person")),
        PdfSection(_("Konto w serwisie"), pairs=pairs("account", ACCOUNT_VOCABULARIES)),
    ]
    sections += [_table_section(section, data[section.key]) for section in export.sections]
    return document_pdf(letterhead_from_tenant(current_tenant), _("Twoje dane osobowe"),
                        sections, issued_at=datetime.fromisoformat(data["generated_at"]))
