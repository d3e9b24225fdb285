"""The resident's copy of their personal data (GDPR art. 15): one service builds the data,
JSON and PDF are two renderings of it.

Everything the tenant keeps about the signed-in person is included, except secrets: no
password hash (current or historical), no session tokens. Other people appear only as the
actor labels the audit trail stores (e.g. ``staff:a.nowak``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import re
from datetime import date, datetime
from decimal import Decimal

from flask_babel import format_currency, format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import AccountBlock, ResidentAccount
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.auth.models import RESIDENT, LoginAttempt, PasswordHistory, UserSession
from iok_saas.modules.enrolment.models import Application
from iok_saas.modules.faults.models import FaultReport
from iok_saas.modules.housing.models import Person, Title, Unit
from iok_saas.modules.meters.models import Meter, MeterReading
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.modules.occupants.models import OccupantsChange
from iok_saas.modules.records.models import Membership
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import utcnow

from .models import ContactCorrection

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


def titles_of(person: Person) -> list[Title]:
    """Every title of the person (past ones too), newest first, with its unit."""
    return list(db.session.scalars(
        select(Title).where(Title.person_id == person.id)
        .order_by(Title.valid_from.desc(), Title.id)))


def _units(ids: set[int]) -> dict[int, Unit]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}


def personal_data(account: ResidentAccount, *, fmt: str) -> dict:
    """All the tenant's data about the account's person, JSON-ready; records (and commits)
    an audit row saying the resident downloaded it in ``fmt``."""
    person = account.person
    data = _collect(account, person)
    record_event(f"resident:{account.login}", "personal_data.exported", account,
                 after={"format": fmt})
    db.session.commit()
    return data


def _collect(account: ResidentAccount, person: Person) -> dict:
    titles = titles_of(person)
    corrections = list(db.session.scalars(
        select(ContactCorrection).where(ContactCorrection.person_id == person.id)
        .order_by(ContactCorrection.id)))
    faults = list(db.session.scalars(
        select(FaultReport).where(FaultReport.account_id == account.id)
        .order_by(FaultReport.id)))
    occupants = list(db.session.scalars(
        select(OccupantsChange).where(OccupantsChange.account_id == account.id)
        .order_by(OccupantsChange.id)))
    readings = list(db.session.execute(
        select(MeterReading, Meter).join(Meter, Meter.id == MeterReading.meter_id)
        .where(MeterReading.submitted_by_account_id == account.id)
        .order_by(MeterReading.id)))
    applications = list(db.session.scalars(
        select(Application).where(or_(Application.person_id == person.id,
                                      Application.account_id == account.id))
        .order_by(Application.submitted_at)))
    # E-mails to the person's address under their name (a shared family address does not
    # reveal another member's messages); the subject only — bodies may carry one-time links.
    emails = list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == person.email,
                                    OutboxMessage.to_name == person.full_name)
        .order_by(OutboxMessage.created_at))) if person.email else []
    units = _units({f.unit_id for f in faults} | {o.unit_id for o in occupants}
                   | {m.unit_id for _r, m in readings})

    def unit_label(unit_id: int) -> str | None:
        unit = units.get(unit_id)
        return unit.label if unit else None

    subjects = [("ResidentAccount", [account.id]), ("Person", [person.id]),
                ("ContactCorrection", [c.id for c in corrections]),
                ("FaultReport", [f.id for f in faults]),
                ("OccupantsChange", [o.id for o in occupants]),
                ("MeterReading", [r.id for r, _m in readings]),
                ("Application", [a.id for a in applications])]
    audit = list(db.session.scalars(
        select(AuditEvent).where(or_(*[
            (AuditEvent.subject_type == kind) & AuditEvent.subject_id.in_(ids)
            for kind, ids in subjects if ids]))
        .order_by(AuditEvent.at, AuditEvent.id)))

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
        "titles": [{
            "kind": t.kind, "valid_from": t.valid_from, "valid_to": t.valid_to,
            "unit": {"label": t.unit.label, "street": t.unit.street,
                     "building_number": t.unit.building_number,
                     "unit_number": t.unit.unit_number, "city": t.unit.city,
                     "kind": t.unit.kind, "bank_account": t.unit.bank_account},
        } for t in titles],
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
        "password_changes": [h.created_at for h in db.session.scalars(
            select(PasswordHistory).where(PasswordHistory.user_kind == RESIDENT,
                                          PasswordHistory.user_id == account.id)
            .order_by(PasswordHistory.created_at))],
        "blocks": [{
            "blocked_at": b.blocked_at, "trigger": b.trigger, "channel": b.channel,
            "reason": b.reason, "blocked_by": b.blocked_by, "lifted_at": b.lifted_at,
            "lifted_by": b.lifted_by, "lift_method": b.lift_method,
        } for b in db.session.scalars(select(AccountBlock)
                                      .where(AccountBlock.account_id == account.id)
                                      .order_by(AccountBlock.blocked_at))],
        "sessions": [{
            "started_at": s.created_at, "last_seen_at": s.last_seen_at,
            "ended_at": s.ended_at, "end_reason": s.end_reason, "client": s.client,
        } for s in db.session.scalars(select(UserSession)
                                      .where(UserSession.user_kind == RESIDENT,
                                             UserSession.user_id == account.id)
                                      .order_by(UserSession.created_at))],
        "login_attempts": [{
            "at": a.at, "success": a.success, "client": a.client,
        } for a in db.session.scalars(select(LoginAttempt)
                                      .where(LoginAttempt.user_kind == RESIDENT,
                                             LoginAttempt.login == account.login)
                                      .order_by(LoginAttempt.at))],
        "applications": [{
            "number": a.number, "kind": a.kind, "channel": a.channel, "state": a.state,
            "submitted_at": a.submitted_at, "first_name": a.first_name,
            "last_name": a.last_name, "email": a.email, "phone": a.phone,
            "applicant_type": a.applicant_type,
            "address": " ".join(part for part in (a.street, a.building_number,
                                                  a.flat_number and f"/ {a.flat_number}",
                                                  a.city) if part) or None,
            "note": a.applicant_note, "rejection_reason": a.rejection_reason,
            "closed_at": a.closed_at,
        } for a in applications],
        "emails": [{
            "created_at": m.created_at, "email_subject": m.subject, "to": m.to_address,
            "sent_at": m.sent_at,
        } for m in emails],
        "contact_corrections": [{
            "created_at": c.created_at, "requested": c.requested, "note": c.note,
            "state": c.state, "decided_at": c.decided_at, "decided_by": c.decided_by,
            "staff_comment": c.staff_comment,
        } for c in corrections],
        "fault_reports": [{
            "created_at": f.created_at, "unit": unit_label(f.unit_id), "category": f.category,
            "place": f.place, "description": f.description, "status": f.status,
            "updated_at": f.updated_at, "has_photo": f.photo is not None,
            "history": [{"at": e.created_at, "status": e.status, "comment": e.comment}
                        for e in f.events],
        } for f in faults],
        "occupant_declarations": [{
            "created_at": o.created_at, "unit": unit_label(o.unit_id),
            "occupants": o.occupants, "effective_from": o.effective_from, "note": o.note,
            "state": o.state, "decided_at": o.decided_at, "staff_comment": o.staff_comment,
        } for o in occupants],
        "meter_readings": [{
            "created_at": r.created_at, "unit": unit_label(m.unit_id),
            "meter": m.serial_number, "meter_kind": m.kind, "read_on": r.read_on,
            "value": r.value, "state": r.state, "decided_at": r.decided_at,
            "staff_comment": r.staff_comment,
        } for r, m in readings],
        "memberships": [{
            "member_number": m.member_number, "member_since": m.member_since,
            "member_until": m.member_until, "contribution_due": m.contribution_due,
            "contribution_paid": m.contribution_paid, "share_due": m.share_due,
            "share_paid": m.share_paid,
        } for m in db.session.scalars(select(Membership)
                                      .where(Membership.person_id == person.id)
                                      .order_by(Membership.member_since))],
        "audit_events": [{
            "at": e.at, "actor": e.actor, "action": e.action, "subject": e.subject_type,
            "before": e.before, "after": e.after,
        } for e in audit],
    }
    return _plain(data)


def as_json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


# --- PDF -----------------------------------------------------------------------------------

SECTION_LABELS = {
    "titles": _l("Tytuły prawne do lokali"),
    "password_changes": _l("Zmiany hasła"),
    "blocks": _l("Blokady konta"),
    "sessions": _l("Sesje (logowania)"),
    "login_attempts": _l("Próby logowania"),
    "applications": _l("Wnioski o dostęp do serwisu"),
    "emails": _l("Wysłane do Ciebie wiadomości e-mail"),
    "contact_corrections": _l("Prośby o korektę danych"),
    "fault_reports": _l("Zgłoszenia usterek"),
    "occupant_declarations": _l("Deklaracje liczby osób"),
    "meter_readings": _l("Podane odczyty wodomierzy"),
    "memberships": _l("Członkostwo"),
    "audit_events": _l("Zdarzenia w dzienniku zmian"),
}
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


_VOCABULARIES = {
    # (section, column): (module under iok_saas.modules, name of its label mapping)
    ("titles", "kind"): ("backoffice.forms", "TITLE_LABELS"),
    ("account", "state"): ("backoffice.forms", "STATE_LABELS"),
    ("blocks", "trigger"): ("backoffice.forms", "TRIGGER_LABELS"),
    ("blocks", "channel"): ("backoffice.forms", "CHANNEL_LABELS"),
    ("blocks", "lift_method"): ("backoffice.forms", "UNBLOCK_LABELS"),
    ("contact_corrections", "state"): ("contact.services", "STATE_LABELS"),
    ("applications", "kind"): ("enrolment.services", "KIND_LABELS"),
    ("applications", "state"): ("enrolment.services", "STATE_LABELS"),
    ("applications", "channel"): ("enrolment.services", "CHANNEL_LABELS"),
    ("applications", "applicant_type"): ("enrolment.services", "APPLICANT_LABELS"),
    ("fault_reports", "place"): ("faults.services", "PLACE_LABELS"),
    ("fault_reports", "status"): ("faults.services", "STATUS_LABELS"),
    ("occupant_declarations", "state"): ("occupants.services", "STATE_LABELS"),
    ("meter_readings", "state"): ("meters.services", "STATE_LABELS"),
    ("meter_readings", "meter_kind"): ("meters.services", "KIND_LABELS"),
}
MONEY_FIELDS = {"contribution_due", "contribution_paid", "share_due", "share_paid"}


def _vocabulary(section: str, column: str) -> dict | None:
    """Polish words for the codes stored in a column (None: show the value as it is).

    The words live with the features that own the codes; a feature without them leaves the
    code as stored rather than failing the export."""
    where = _VOCABULARIES.get((section, column))
    if where is None:
        return None
    try:
        module = importlib.import_module(f"iok_saas.modules.{where[0]}")
    except ImportError:
        return None
    return getattr(module, where[1], None)


def _cell(value, section: str = "", column: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("tak") if value else _("nie")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    if column in MONEY_FIELDS:
        with contextlib.suppress(ArithmeticError):
            return format_currency(Decimal(text), "PLN")
    if _ISO_MOMENT.match(text):
        with contextlib.suppress(ValueError):
            return format_datetime(datetime.fromisoformat(text), "dd.MM.yyyy HH:mm")
    if _ISO_DAY.match(text):
        with contextlib.suppress(ValueError):
            return format_date(date.fromisoformat(text), "dd.MM.yyyy")
    words = _vocabulary(section, column)
    return str(words.get(text, text)) if words else text


def _table_section(key: str, rows: list):
    from iok_saas.modules.letters import PdfSection, PdfTable

    heading = str(SECTION_LABELS[key])
    if not rows:
        return PdfSection(heading, paragraphs=(_("Brak danych."),))
    if not isinstance(rows[0], dict):
        return PdfSection(heading, paragraphs=tuple(_cell(r) for r in rows))
    if key == "titles":
        rows = [{"unit": r["unit"]["label"], "kind": r["kind"], "valid_from": r["valid_from"],
                 "valid_to": r["valid_to"]} for r in rows]
    columns = list(rows[0])
    if len(columns) > 5:
        # Too wide for a page: one block of label/value pairs per row instead of a table.
        return PdfSection(heading, paragraphs=tuple(
            "; ".join(f"{FIELD_LABELS.get(c, c)}: {_cell(r.get(c), key, c)}" for c in columns)
            for r in rows))
    return PdfSection(heading, table=PdfTable(
        [str(FIELD_LABELS.get(c, c)) for c in columns],
        [[_cell(r.get(c), key, c) for c in columns] for r in rows]))


def as_pdf(data: dict) -> bytes:
    from iok_saas.modules.letters import PdfSection, document_pdf, letterhead_from_tenant

    def pairs(section: str) -> tuple[tuple[str, str], ...]:
        return tuple((str(FIELD_LABELS.get(k, k)), _cell(v, section, k))
                     for k, v in data[section].items())

    sections = [
        PdfSection(_("O tym dokumencie"), paragraphs=(
            _("Kopia danych osobowych, które %(name)s przechowuje o Tobie w serwisie "
              "Internetowej Obsługi Kontrahenta (art. 15 RODO). Ten sam zestaw danych "
              "możesz pobrać w formacie JSON.", name=data["controller"]["name"]),)),
        PdfSection(_("Dane osobowe"), pairs=pairs("person")),
        PdfSection(_("Konto w serwisie"), pairs=pairs("account")),
    ]
    sections += [_table_section(key, data[key]) for key in SECTION_LABELS]
    return document_pdf(letterhead_from_tenant(current_tenant), _("Twoje dane osobowe"),
                        sections, issued_at=datetime.fromisoformat(data["generated_at"]))
