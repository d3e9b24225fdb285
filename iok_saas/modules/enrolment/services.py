"""The application state machine: every rule comes from the current tenant's policy.

An access application is filed by one of the policy's filing steps and then stands at one
step of its ``plan`` (``policy.enrolment.later_steps``, fixed at filing) at a time. Each
action is allowed only at its step and moves the application to the next step of the plan;
nothing skips or repeats a step: the state is checked, stale forms are refused by the
version number they carry, and concurrent clicks by the optimistic lock on ``version``.
``notify_account_ready`` is automatic: it runs the moment the application reaches it.

A revocation application (give up access; block or remove it) has one step after filing:
``revocation_review`` by the department the policy names.

Each public function stages one step: the change, its audit event, the accounts it creates
and its notifications; the caller (a view, a command) commits them together, so a step is
written whole or not at all.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.accounts.models import BLOCKED, REVOKED, ResidentAccount
from iok_saas.modules.accounts.services import AccountError, Credentials
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.housing.models import Person, Title, Unit
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.modules.notifications.services import notify
from iok_saas.policy.schema import APPLICANT_TYPES, STEP_CHANNELS
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import WARSAW, utcnow
from iok_saas.timeutil import warsaw_today as today

from . import tokens
from .models import (
    ACCESS,
    CLOSED_STATES,
    COMPLETED,
    CORRECTION,
    REJECTED,
    REVOCATION,
    REVOCATION_REVIEW,
    Application,
)

NUMBER_PREFIX = {ACCESS: "W", REVOCATION: "R"}
IDENTITY_DOCUMENTS = ("id_card", "passport", "residence_card", "mobywatel", "driving_licence")
_FILING = "filed"   # the state of a new row until its first step is entered (never committed)


# --- errors --------------------------------------------------------------------------------

class EnrolmentError(Exception):
    """A request the rules or the application's step do not allow; nothing was changed."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


ERRORS = {
    "closed": _l("Ta spółdzielnia nie przyjmuje takich wniosków tą drogą."),
    "wrong_step": _l("Tej czynności nie można teraz wykonać: wniosek jest na etapie "
                     "„%(state)s”. Niczego nie zmieniono."),
    "stale": _l("Wniosek zmienił się w międzyczasie — ktoś już wykonał tę czynność albo "
                "formularz jest nieaktualny. Niczego nie zmieniono; odśwież stronę."),
    "department": _l("Ten krok wykonuje: %(department)s. Twój dział może tylko przeglądać "
                     "wniosek."),
    "not_eligible": _l("Zasady tej spółdzielni nie przewidują dostępu dla wybranego rodzaju "
                       "wnioskodawcy."),
    "regulations": _l("Złożenie wniosku wymaga akceptacji regulaminu."),
    "email_required": _l("Podaj adres e-mail — wyślemy na niego odnośnik potwierdzający."),
    "person_required": _l("Wybierz z kartoteki osobę, której dotyczy wniosek."),
    "person_no_title": _l("Wybrana osoba nie ma obecnie tytułu prawnego do lokalu podanego "
                          "we wniosku."),
    "person_not_eligible": _l("Tytuł prawny wybranej osoby do tego lokalu nie uprawnia do "
                              "konta według zasad spółdzielni."),
    "account_exists": _l("Wybrana osoba ma już konto (identyfikator %(detail)s)."),
    "may_not_refuse": _l("Zasady tej spółdzielni nie przewidują odmowy."),
    "reason_required": _l("Podaj powód."),
    "place_required": _l("Wybierz miejsce odbioru spośród działów spółdzielni."),
    "unknown_place": _l("Tego miejsca nie ma wśród miejsc odbioru tej spółdzielni."),
    "identity_document": _l("Sprawdź dokument tożsamości i wybierz jego rodzaj."),
    "signed_receipt": _l("Mieszkaniec musi podpisać potwierdzenie odbioru."),
    "signed_application": _l("Mieszkaniec musi podpisać przygotowany wniosek."),
    "revocation_reason": _l("Wybierz powód spośród przewidzianych w zasadach."),
    "revocation_choice": _l("Wybierz, czy dostęp ma zostać zablokowany, czy usunięty."),
    "account_required": _l("Nie znaleziono konta o tym identyfikatorze."),
    "account_revoked": _l("Dostęp do tego konta został już usunięty."),
    "account_blocked": _l("Konto jest zablokowane — dane dostępowe wydaje się przy "
                          "odblokowaniu."),
    "already_blocked": _l("To konto jest już zablokowane."),
    "duplicate": _l("Dla tego konta jest już otwarty wniosek nr %(detail)s."),
    "block_not_allowed": _l("Blokady zatwierdza wyłącznie: %(department)s."),
    "account_error": _l("Operacji na koncie nie wykonano (%(detail)s)."),
}


def error_message(exc: EnrolmentError) -> str:
    template = ERRORS.get(exc.code, ERRORS["account_error"])
    return str(template) % {"state": state_label(exc.detail), "detail": exc.detail,
                            "department": current_tenant.department_name(exc.detail)}


# --- vocabulary ----------------------------------------------------------------------------

STATE_LABELS = {
    "confirm_email": _l("Czeka na potwierdzenie adresu e-mail"),
    "staff_review": _l("Do sprawdzenia przez pracownika"),
    CORRECTION: _l("Czeka na poprawienie danych"),
    "notify_account_ready": _l("Powiadomienie o gotowym dostępie"),
    "schedule_pickup": _l("Czeka na wyznaczenie terminu i miejsca odbioru"),
    "in_person_pickup": _l("Czeka na odbiór osobisty danych dostępowych"),
    REVOCATION_REVIEW: _l("Do rozpatrzenia"),
    COMPLETED: _l("Zakończony"),
    REJECTED: _l("Odrzucony"),
}

STEP_LABELS = {
    "electronic_form": _l("Formularz elektroniczny"),
    "paper_application": _l("Wniosek papierowy"),
    "in_person_request": _l("Wniosek złożony osobiście"),
    "confirm_email": _l("Potwierdzenie adresu e-mail"),
    "staff_review": _l("Sprawdzenie danych przez pracownika"),
    "notify_account_ready": _l("Powiadomienie, że dostęp jest gotowy"),
    "schedule_pickup": _l("Wyznaczenie terminu i miejsca odbioru (e-mail)"),
    "in_person_pickup": _l("Odbiór osobisty danych dostępowych"),
    REVOCATION_REVIEW: _l("Rozpatrzenie wniosku"),
}

CHANNEL_LABELS = {
    "electronic": _l("formularz elektroniczny"),
    "paper": _l("wniosek papierowy złożony w biurze"),
    "email_scan": _l("skan wniosku przesłany e-mailem"),
    "in_person": _l("osobiście w biurze"),
}

APPLICANT_LABELS = {
    "owner": _l("Właściciel lokalu"),
    "tenant": _l("Najemca lokalu"),
    "member": _l("Członek spółdzielni"),
    "commercial": _l("Posiadacz lokalu użytkowego"),
    "association_owner": _l("Właściciel lokalu we wspólnocie mieszkaniowej"),
}

REASON_LABELS = {
    "sale": _l("Sprzedaż lokalu"),
    "exchange": _l("Zamiana lokalu"),
    "donation": _l("Darowizna lokalu"),
    "other": _l("Inny powód"),
}

CHOICE_LABELS = {
    "block": _l("Zablokowanie dostępu"),
    "remove_permanently": _l("Trwałe usunięcie dostępu"),
}

DOCUMENT_LABELS = {
    "id_card": _l("Dowód osobisty"),
    "passport": _l("Paszport"),
    "residence_card": _l("Karta pobytu"),
    "mobywatel": _l("mObywatel"),
    "driving_licence": _l("Prawo jazdy"),
}

ACTION_LABELS = {
    "application.submit": _l("Złożenie wniosku"),
    "application.confirm_email": _l("Potwierdzenie adresu e-mail"),
    "application.staff_review": _l("Zatwierdzenie przez pracownika"),
    "application.notify_account_ready": _l("Powiadomienie, że dostęp jest gotowy"),
    "application.correction_requested": _l("Prośba o poprawienie"),
    "application.corrected": _l("Poprawienie wniosku"),
    "application.reject": _l("Odmowa"),
    "application.pickup_scheduled": _l("Wyznaczenie terminu odbioru"),
    "application.in_person_pickup": _l("Odbiór osobisty danych dostępowych"),
    "application.revocation_review": _l("Wykonanie wniosku"),
}

KIND_LABELS = {ACCESS: _l("Dostęp do IOK"), REVOCATION: _l("Rezygnacja / blokada")}


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


# --- the policy, read -----------------------------------------------------------------------

def _enrolment():
    return current_tenant.policy.enrolment


def _revocation():
    return current_tenant.policy.revocation


def channel_step(channel: str) -> str | None:
    """The policy's filing step that takes ``channel``, or None when none does."""
    enrolment = _enrolment()
    if channel not in enrolment.channels:
        return None
    return next((step for step in enrolment.filing_steps
                 if channel in STEP_CHANNELS.get(step, ())), None)


def electronic_form_open() -> bool:
    return "electronic_form" in _enrolment().filing_steps and channel_step("electronic") is not None


def office_channels() -> list[str]:
    """Channels through which staff enter access applications (not the online form)."""
    return [c for c in ("paper", "email_scan", "in_person")
            if c in _enrolment().channels and channel_step(c) is not None]


def eligible_types() -> list[str]:
    return [t for t in APPLICANT_TYPES if t in _enrolment().eligible]


def electronic_revocation_open() -> bool:
    return "electronic" in _revocation().channels


def office_revocation_channels() -> list[str]:
    return [c for c in ("paper", "email_scan") if c in _revocation().channels]


def revocation_reasons() -> list[str]:
    return [r for r in REASON_LABELS if r in _revocation().reasons]


def revocation_choices() -> list[str]:
    return [c for c in CHOICE_LABELS if c in _revocation().choices]


def plan_for(channel: str) -> tuple[str, ...]:
    """The steps after filing for an application that came in by ``channel``.

    ``confirm_email`` concerns the online form only (policies/README.md).
    """
    return tuple(step for step in _enrolment().later_steps
                 if step != "confirm_email" or channel == "electronic")


def department_for(step: str) -> str | None:
    """The department the policy names for a step (None: any staff member acts)."""
    enrolment = _enrolment()
    return {
        "filing": enrolment.filed_with,
        "staff_review": enrolment.review.department,
        CORRECTION: enrolment.review.department,
        "in_person_pickup": enrolment.pickup.department,
        "schedule_pickup": enrolment.pickup.department,
        REVOCATION_REVIEW: _revocation().handled_by,
        "revocation_filing": _revocation().handled_by,
    }.get(step)


def may_act(staff, step: str) -> bool:
    department = department_for(step)
    return department is None or staff.department == department


# --- applicant data --------------------------------------------------------------------------

@dataclass(frozen=True)
class ApplicantData:
    first_name: str
    last_name: str
    applicant_type: str
    street: str
    building_number: str
    city: str
    flat_number: str | None = None
    email: str | None = None
    phone: str | None = None
    note: str | None = None

    def cleaned(self) -> ApplicantData:
        def clean(value):
            value = (value or "").strip()
            return re.sub(r"\s+", " ", value) or None
        values = {name: clean(getattr(self, name)) for name in self.__dataclass_fields__}
        if values["email"]:
            values["email"] = values["email"].lower()
        return replace(self, **values)


_DATA_FIELDS = ("first_name", "last_name", "applicant_type", "street", "building_number",
                "flat_number", "city", "phone")


def applicant_data(application: Application) -> ApplicantData:
    return ApplicantData(**{name: getattr(application, name) for name in _DATA_FIELDS},
                         email=application.email, note=application.applicant_note)


# --- queries -----------------------------------------------------------------------------------

def get(application_id: int) -> Application | None:
    return db.session.get(Application, application_id)


def queue(state: str | None = None) -> list[Application]:
    query = select(Application).order_by(Application.submitted_at, Application.id)
    if state:
        query = query.where(Application.state == state)
    else:
        query = query.where(Application.state.not_in(CLOSED_STATES))
    return list(db.session.scalars(query))


def counts_by_state() -> dict[str, int]:
    rows = db.session.execute(select(Application.state, func.count(Application.id))
                              .group_by(Application.state)).all()
    return {state: number for state, number in rows}


def working_days_between(start: date, end: date) -> int:
    """Working days (Monday–Friday) after ``start`` up to and including ``end``."""
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if (start + timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


def ageing_text(moment: datetime, day: date | None = None) -> str:
    """'złożony 4 dni robocze temu' — Polish plural forms, Monday to Friday counted."""
    day = day or today()
    filed = moment.astimezone(WARSAW).date()
    if filed == day:
        return str(_l("złożony dziś"))
    days = working_days_between(filed, day)
    if days == 0:
        return str(_l("złożony mniej niż dzień roboczy temu"))
    if days == 1:
        return str(_l("złożony 1 dzień roboczy temu"))
    if days % 10 in (2, 3, 4) and days % 100 not in (12, 13, 14):
        return str(_l("złożony %(n)s dni robocze temu", n=days))
    return str(_l("złożony %(n)s dni roboczych temu", n=days))


# --- persons and units ---------------------------------------------------------------------

_STREET_PREFIX = re.compile(r"^(ul|ulica|al|aleja|aleje|os|osiedle|pl|plac) ")


def _norm(value: str | None) -> str:
    """'ul. Lipowa' -> 'lipowa', '3 A' -> '3a': compare addresses as people write them."""
    text = re.sub(r"[.\s]+", " ", (value or "").casefold()).strip()
    return _STREET_PREFIX.sub("", text).replace(" ", "")


def unit_matches(application: Application, unit: Unit) -> bool:
    """The unit the application describes: street (without 'ul.'), building and flat."""
    return (_norm(application.street) == _norm(unit.street)
            and _norm(application.building_number) == _norm(unit.building_number)
            and _norm(application.flat_number) == _norm(unit.unit_number))


title_eligible = accounts.title_eligible


def current_titles(person: Person, day: date | None = None) -> list[Title]:
    day = day or today()
    titles = db.session.scalars(select(Title).where(Title.person_id == person.id)
                                .options(selectinload(Title.unit)))
    return [t for t in titles if t.current_on(day)]


@dataclass
class Candidate:
    person: Person
    titles: list[Title]
    account: ResidentAccount | None
    matches_unit: bool
    eligible: bool


def candidates(application: Application, extra_person_ids: Sequence[int] = ()) -> list[Candidate]:
    """Persons holding a current title to the application's unit (by building and flat),
    then those with the applicant's surname, then ``extra_person_ids`` (a staff search)."""
    day = today()
    building = _norm(application.building_number)
    units = [u for u in db.session.scalars(select(Unit).where(
        func.lower(func.replace(Unit.building_number, " ", "")) == building))
        if unit_matches(application, u)]
    by_unit = db.session.scalars(select(Title.person_id).where(
        Title.unit_id.in_([u.id for u in units]))).all() if units else []
    by_name = db.session.scalars(select(Person.id).where(
        func.lower(Person.last_name) == (application.last_name or "").lower())).all()
    seen: dict[int, None] = dict.fromkeys([*by_unit, *by_name, *extra_person_ids])
    found = []
    for person_id in seen:
        person = db.session.get(Person, person_id)
        if person is None:
            continue
        titles = current_titles(person, day)
        account = db.session.scalar(select(ResidentAccount).where(
            ResidentAccount.person_id == person.id))
        matching = [t for t in titles if unit_matches(application, t.unit)]
        found.append(Candidate(person, titles, account, bool(matching),
                               any(title_eligible(t) for t in matching)))
    found.sort(key=lambda c: (not c.matches_unit, not c.eligible, c.person.last_name,
                              c.person.first_name))
    return found


def _matching_person(application: Application, person_id: int | None) -> Person:
    person = db.session.get(Person, person_id) if person_id else None
    if person is None:
        raise EnrolmentError("person_required")
    matching = [t for t in current_titles(person) if unit_matches(application, t.unit)]
    if not matching:
        raise EnrolmentError("person_no_title")
    if not any(title_eligible(t) for t in matching):
        raise EnrolmentError("person_not_eligible")
    existing = _account_of_person(person)
    if existing is not None:
        raise EnrolmentError("account_exists", existing.login)
    return person


def _account_of_person(person: Person) -> ResidentAccount | None:
    return db.session.scalar(select(ResidentAccount).where(
        ResidentAccount.person_id == person.id))


def account_of(application: Application) -> ResidentAccount | None:
    """The application's account: linked, or (right after approval) the matched person's."""
    if application.account_id is not None:
        return db.session.get(ResidentAccount, application.account_id)
    if application.kind == ACCESS and application.person_id is not None:
        return db.session.scalar(select(ResidentAccount).where(
            ResidentAccount.person_id == application.person_id))
    return None


# --- the machine ----------------------------------------------------------------------------

def _nonce() -> str:
    return secrets.token_urlsafe(16)


def _view(application: Application) -> dict:
    return {"number": application.number, "state": application.state}


def _staff_actor(staff) -> str:
    return f"staff:{staff.login}"


def _require(application: Application, states: tuple[str, ...], version: int | None,
             staff=None, step: str | None = None) -> None:
    """The action belongs to the application's current step; the form is not stale; the
    member is of the department the policy names for the step."""
    if application.state not in states:
        raise EnrolmentError("wrong_step", application.state)
    if version is not None and int(version) != application.version:
        raise EnrolmentError("stale")
    if staff is not None and not may_act(staff, step or application.state):
        raise EnrolmentError("department", department_for(step or application.state) or "")


def _set_state(application: Application, state: str) -> None:
    application.state = state
    application.state_changed_at = utcnow()
    application.token_nonce = _nonce()
    if state in CLOSED_STATES:
        application.closed_at = utcnow()


def _advance(application: Application, actor: str, done: str | None, action: str,
             before: dict, **details) -> None:
    """Record ``action`` (the step ``done`` is complete) and move to the next step of the
    plan, running automatic steps on the way and notifying on arrival."""
    plan = list(application.plan)
    index = plan.index(done) + 1 if done in plan else 0
    target_index = index
    while target_index < len(plan) and plan[target_index] in _AUTOMATIC:
        target_index += 1
    target = plan[target_index] if target_index < len(plan) else COMPLETED
    record_event(actor, action, application, before=before,
                 after={**_view(application), "state": target, **details})
    if application.received_at is None and target != "confirm_email":
        _mark_received(application)
    for step in plan[index:target_index]:
        _AUTOMATIC[step](application, actor)
    _set_state(application, target)
    _on_arrival(application)


def _mark_received(application: Application) -> None:
    """The application has reached the cooperative (filed, and confirmed where required)."""
    application.received_at = utcnow()
    if application.kind == ACCESS:
        _notify(application, "application_received", email_only=True)


def _run_notify_account_ready(application: Application, actor: str) -> None:
    application.ready_notified_at = utcnow()
    sent = _notify(application, "account_ready", place=pickup_place())
    record_event(actor, "application.notify_account_ready", application,
                 before={"state": "notify_account_ready"},
                 after={"by": _channel_of(sent)})


_AUTOMATIC: dict[str, Callable[[Application, str], None]] = {
    "notify_account_ready": _run_notify_account_ready,
}


def _on_arrival(application: Application) -> None:
    if application.state == "confirm_email":
        _notify(application, "email_confirmation",
                link=tokens.make_link(application, tokens.CONFIRM),
                valid_until=tokens.valid_until_text(tokens.CONFIRM))


def _channel_of(sent) -> str:
    if sent is None:
        return "none"
    return "email" if isinstance(sent, OutboxMessage) else "phone_task"


def _notify(application: Application, kind: str, *, email_only: bool = False, **context):
    """The policy's notification to the applicant, in the caller's transaction."""
    if email_only and not application.email:
        return None
    return notify(kind, to_email=application.email, to_name=application.full_name,
                  phone=application.phone, number=application.number, **context)


def pickup_places() -> list[dict]:
    """The manifest's departments where a pickup may be scheduled (``pickup.places``, or
    every department of the manifest when the policy lists none)."""
    keys = _enrolment().pickup.places
    departments = current_tenant.info("departments", []) or []
    return [d for d in departments if not keys or d.get("key") in keys]


def place_of(key: str) -> str | None:
    """A department's pickup place as the applicant reads it; None when the key is not one
    of :func:`pickup_places`."""
    department = next((d for d in pickup_places() if d.get("key") == key), None)
    if department is None:
        return None
    name, room = department.get("name") or key, department.get("room")
    return str(_l("%(name)s, pokój %(room)s", name=name, room=room)) if room else name


def pickup_place() -> str:
    key = _enrolment().pickup.department or _enrolment().filed_with
    department = current_tenant.department(key) if key else None
    if department:
        name, room = department.get("name") or key, department.get("room")
        return str(_l("%(name)s, pokój %(room)s", name=name, room=room)) if room else name
    address = current_tenant.info("address", {}) or {}
    return ", ".join(part for part in (address.get("street"), address.get("city")) if part)


def _stage() -> None:
    """Flush the step now (the boundary commits): another clerk's change of the same
    application since this one was read is an error here, not a lost update."""
    try:
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        raise EnrolmentError("stale") from exc


def _number_for(application: Application) -> str:
    """W/2026/000123: the row's own id makes the number unique without a race between
    concurrent filings (numbers are increasing, with gaps where other tenants filed)."""
    return f"{NUMBER_PREFIX[application.kind]}/{today().year}/{application.id:06d}"


def _file(build: Callable[[], Application], actor: str, **details) -> Application:
    """Insert a new application, number it, and enter its first step (one transaction)."""
    application = build()
    application.number = f"pending-{_nonce()}"  # replaced once the row has its id
    application.token_nonce = _nonce()
    application.state = _FILING
    db.session.add(application)
    db.session.flush()
    application.number = _number_for(application)
    _advance(application, actor, None, "application.submit",
             before={"state": None}, filing_step=application.filing_step,
             channel=application.channel, **details)
    return application


# --- access applications ----------------------------------------------------------------------

def submit(data: ApplicantData, channel: str, actor: str, *, regulations_accepted: bool,
           entered_by: str | None = None) -> Application:
    """File an access application: the resident's online form (channel 'electronic') or a
    paper / in-person application entered by staff."""
    step = channel_step(channel)
    if step is None:
        raise EnrolmentError("closed")
    data = data.cleaned()
    if data.applicant_type not in _enrolment().eligible:
        raise EnrolmentError("not_eligible")
    accepts = _enrolment().accept_regulations_at_filing
    if accepts and not regulations_accepted:
        raise EnrolmentError("regulations")
    if "confirm_email" in plan_for(channel) and not data.email:
        raise EnrolmentError("email_required")
    version = accounts.current_regulations_version() if accepts else None

    def build() -> Application:
        return Application(
            kind=ACCESS, channel=channel, filing_step=step, plan=list(plan_for(channel)),
            first_name=data.first_name, last_name=data.last_name, email=data.email,
            phone=data.phone, applicant_type=data.applicant_type, street=data.street,
            building_number=data.building_number, flat_number=data.flat_number,
            city=data.city, regulations_version=version, applicant_note=data.note,
            entered_by=entered_by, submitted_at=utcnow())

    return _file(build, actor, regulations_version=version)


def confirm_email(token: str) -> Application:
    """The applicant opened the link from the confirmation e-mail (tokens.LinkError if it
    is not usable)."""
    application = tokens.application_for(token, tokens.CONFIRM)
    before = _view(application)
    application.email_confirmed_at = utcnow()
    _advance(application, "applicant:email-link", "confirm_email",
             "application.confirm_email", before, email=application.email)
    _stage()
    return application


def approve(application: Application, person_id: int | None, staff,
            version: int | None) -> ResidentAccount:
    """Staff review: the data match ``person_id``, who holds a current title to the unit;
    the pending account is created and the application moves on."""
    _require(application, ("staff_review",), version, staff)
    person = _matching_person(application, person_id)
    actor = _staff_actor(staff)
    before = _view(application)
    application.person_id = person.id
    application.reviewed_at = utcnow()
    _advance(application, actor, "staff_review", "application.staff_review", before,
             decision="approve", person_id=person.id)
    account = _create_account(person, actor)
    _link_account(application, account)
    return account


def _create_account(person: Person, actor: str) -> ResidentAccount:
    try:
        return accounts.create_account(person, actor)
    except StaleDataError as exc:
        db.session.rollback()
        raise EnrolmentError("stale") from exc
    except AccountError as exc:
        db.session.rollback()
        code = "account_exists" if exc.code == "account_exists" else "account_error"
        raise EnrolmentError(code, exc.detail or exc.code) from exc


def _link_account(application: Application, account: ResidentAccount) -> None:
    """Store the created account's id (the account also follows from ``person_id``), and
    carry over the terms the applicant accepted when filing, so they are not asked again."""
    application.account_id = account.id
    if application.regulations_version and not account.regulations_version:
        account.regulations_version = application.regulations_version
    _stage()


def reject(application: Application, reason: str, staff, version: int | None) -> None:
    """Refuse the application (wrong data, no title); the applicant is told why."""
    _require(application, ("staff_review", CORRECTION, REVOCATION_REVIEW), version, staff,
             REVOCATION_REVIEW if application.kind == REVOCATION else "staff_review")
    if application.kind == ACCESS and not _enrolment().review.may_refuse:
        raise EnrolmentError("may_not_refuse")
    reason = (reason or "").strip()
    if not reason:
        raise EnrolmentError("reason_required")
    before = _view(application)
    application.rejection_reason = reason
    application.reviewed_at = utcnow()
    record_event(_staff_actor(staff), "application.reject", application, before=before,
                 after={**_view(application), "state": REJECTED, "reason": reason})
    _set_state(application, REJECTED)
    _notify(application, "application_rejected", reason=reason)
    _stage()


def request_correction(application: Application, note: str, staff,
                       version: int | None) -> None:
    """Staff review asks the applicant to correct the data; they get a link to do so."""
    _require(application, ("staff_review",), version, staff)
    note = (note or "").strip()
    if not note:
        raise EnrolmentError("reason_required")
    before = _view(application)
    application.correction_note = note
    application.correction_requested_at = utcnow()
    record_event(_staff_actor(staff), "application.correction_requested", application,
                 before=before, after={**_view(application), "state": CORRECTION, "note": note})
    _set_state(application, CORRECTION)
    _notify(application, "correction_requested", reason=note,
            link=tokens.make_link(application, tokens.CORRECT))
    _stage()


def correct_from_link(token: str, data: ApplicantData) -> Application:
    application = tokens.application_for(token, tokens.CORRECT)
    _resubmit(application, data, "applicant:correction-link")
    return application


def correct_by_staff(application: Application, data: ApplicantData, staff,
                     version: int | None) -> None:
    """The applicant brought or phoned the corrections; staff enter them."""
    _require(application, (CORRECTION,), version, staff)
    _resubmit(application, data, _staff_actor(staff))


def _resubmit(application: Application, data: ApplicantData, actor: str) -> None:
    data = data.cleaned()
    if data.applicant_type not in _enrolment().eligible:
        raise EnrolmentError("not_eligible")
    fields = [f for f in _DATA_FIELDS if f != "email"]
    before = {**_view(application), **{f: getattr(application, f) for f in fields}}
    for name in fields:
        setattr(application, name, getattr(data, name))
    application.corrected_at = utcnow()
    record_event(actor, "application.corrected", application, before=before,
                 after={**_view(application), "state": "staff_review",
                        **{f: getattr(application, f) for f in fields}})
    _set_state(application, "staff_review")
    _stage()


def schedule_pickup(application: Application, when: str, place: str, staff,
                    version: int | None, department: str | None = None) -> None:
    """Tell the resident when and where to collect the credentials.

    Where the policy has the step ``schedule_pickup``, the place is a department of the
    manifest (``department``, one of :func:`pickup_places`) and sending it completes the
    step; later, at the pickup step, the time may be sent again (rescheduling)."""
    _require(application, ("schedule_pickup", "in_person_pickup"), version, staff,
             step="in_person_pickup")
    when = (when or "").strip()
    if not when:
        raise EnrolmentError("reason_required")
    if department:
        place = place_of(department)
        if place is None:
            raise EnrolmentError("unknown_place", department)
    elif _enrolment().has_step("schedule_pickup"):
        raise EnrolmentError("place_required")
    place = (place or "").strip() or pickup_place()
    before = {**_view(application), "scheduled_for": application.pickup_scheduled_for}
    application.pickup_scheduled_for = f"{when}, {place}"
    if application.state == "schedule_pickup":   # the policy's step: done, on to the pickup
        _advance(application, _staff_actor(staff), "schedule_pickup",
                 "application.pickup_scheduled", before,
                 scheduled_for=application.pickup_scheduled_for)
    else:
        record_event(_staff_actor(staff), "application.pickup_scheduled", application,
                     before=before, after={**_view(application),
                                           "scheduled_for": application.pickup_scheduled_for})
    _notify(application, "pickup_scheduled", when=when, place=place)
    _stage()


def pickup_needs_person(application: Application) -> bool:
    """No review step matched a person yet: the pickup desk does it (e.g. a one-visit
    in-person request)."""
    return account_of(application) is None


def record_pickup(application: Application, staff, version: int | None, *,
                  document_type: str | None, identity_checked: bool, receipt_signed: bool,
                  application_signed: bool, person_id: int | None = None) -> Credentials:
    """The resident collects the credentials letter in person: the checks the policy asks
    for are recorded (the document's type only, never its number), the initial password is
    issued and the application is complete. Returns the credentials for the letter."""
    _require(application, ("in_person_pickup",), version, staff)
    rules = _enrolment().pickup
    if rules.identity_document and (not identity_checked
                                    or document_type not in IDENTITY_DOCUMENTS):
        raise EnrolmentError("identity_document")
    if rules.signed_receipt and not receipt_signed:
        raise EnrolmentError("signed_receipt")
    if rules.sign_application and not application_signed:
        raise EnrolmentError("signed_application")
    account = account_of(application)
    person = None
    if account is None:
        person = _matching_person(application, person_id)
    elif account.state == REVOKED:
        raise EnrolmentError("account_revoked")
    elif account.state == BLOCKED:
        raise EnrolmentError("account_blocked")
    actor = _staff_actor(staff)
    before = _view(application)
    application.pickup_document_type = document_type if document_type in IDENTITY_DOCUMENTS \
        else None
    application.pickup_receipt_signed = bool(receipt_signed)
    application.pickup_application_signed = bool(application_signed)
    application.picked_up_at = utcnow()
    if person is not None:
        application.person_id = person.id
    _advance(application, actor, "in_person_pickup", "application.in_person_pickup", before,
             document_type=application.pickup_document_type,
             receipt_signed=application.pickup_receipt_signed,
             application_signed=application.pickup_application_signed,
             person_id=application.person_id)
    _notify(application, "account_activated", email_only=True,
            link=tenant_url("accounts.login"))
    if account is None:
        account = _create_account(person, actor)
    application.account_id = account.id
    try:
        return accounts.issue_credentials(account, actor, f"enrolment:{application.number}")
    except StaleDataError as exc:
        db.session.rollback()
        raise EnrolmentError("stale") from exc
    except AccountError as exc:
        db.session.rollback()
        raise EnrolmentError("account_error", exc.code) from exc


# --- revocation applications -------------------------------------------------------------------

def find_account(login: str) -> ResidentAccount | None:
    return accounts.find_by_login(login or "")


def open_revocation(account: ResidentAccount) -> Application | None:
    return db.session.scalar(select(Application).where(
        Application.kind == REVOCATION, Application.account_id == account.id,
        Application.state.not_in(CLOSED_STATES)))


def submit_revocation(account: ResidentAccount | None, channel: str, reason: str, choice: str,
                      note: str | None, actor: str, *,
                      entered_by: str | None = None) -> Application:
    """File an application to give up access (sale, exchange, donation…): block it or
    remove it permanently, as the policy offers."""
    rules = _revocation()
    if channel not in rules.channels:
        raise EnrolmentError("closed")
    if reason not in rules.reasons:
        raise EnrolmentError("revocation_reason")
    if choice not in rules.choices:
        raise EnrolmentError("revocation_choice")
    if account is None:
        raise EnrolmentError("account_required")
    if account.state == REVOKED:
        raise EnrolmentError("account_revoked")
    pending = open_revocation(account)
    if pending is not None:
        raise EnrolmentError("duplicate", pending.number)
    person = account.person

    def build() -> Application:
        return Application(
            kind=REVOCATION, channel=channel,
            filing_step="electronic_form" if channel == "electronic" else "paper_application",
            plan=[REVOCATION_REVIEW], first_name=person.first_name,
            last_name=person.last_name, email=person.email, phone=person.phone,
            person_id=person.id, account_id=account.id, revocation_reason=reason,
            revocation_choice=choice, applicant_note=(note or "").strip() or None,
            entered_by=entered_by, submitted_at=utcnow())

    return _file(build, actor, reason=reason, choice=choice, login=account.login)


def approve_revocation(application: Application, staff, version: int | None) -> None:
    """Carry out the resident's choice: remove access permanently or block it."""
    _require(application, (REVOCATION_REVIEW,), version, staff)
    account = account_of(application)
    if account is None or account.state == REVOKED:
        raise EnrolmentError("account_revoked")
    choice = application.revocation_choice
    if choice == "block":
        if not accounts.may_decide_blocks(staff.department):
            raise EnrolmentError("block_not_allowed",
                                 current_tenant.policy.blocking.decided_by)
        if account.state == BLOCKED:
            raise EnrolmentError("already_blocked")
    actor = _staff_actor(staff)
    before = _view(application)
    application.reviewed_at = utcnow()
    _advance(application, actor, REVOCATION_REVIEW, "application.revocation_review", before,
             decision="approve", choice=choice, login=account.login)
    _notify(application, "revocation_done")
    reason = (f"wniosek {application.number}: "
              f"{REASON_LABELS.get(application.revocation_reason, '')}".strip())
    try:
        if choice == "block":
            _block(account, reason, staff)
        else:
            accounts.revoke(account, _staff_actor(staff), reason)
        db.session.flush()  # another clerk's concurrent change is found here
    except StaleDataError as exc:
        db.session.rollback()
        raise EnrolmentError("stale") from exc
    except AccountError as exc:
        db.session.rollback()
        raise EnrolmentError("account_error", exc.code) from exc


def _block(account: ResidentAccount, reason: str, staff) -> None:
    """Block on the resident's own written application (the policy loader makes sure a
    policy that offers a block has a written_request rule)."""
    accounts.block(account, "written_request", "written", reason, staff)


# --- titles ended ----------------------------------------------------------------------------

TITLE_END_ACTOR = "system:title-ended"


def revoke_for_ended_titles(day: date | None = None) -> list[str]:
    """Remove access of every account whose person holds no current (or future) title any
    more, where the policy says so (``revocation.auto_on_title_end``). Returns the logins.

    The housing-data import calls it after each load.
    """
    if not _revocation().auto_on_title_end:
        return []
    day = day or today()
    still_titled = exists().where(
        Title.person_id == ResidentAccount.person_id,
        or_(Title.valid_to.is_(None), Title.valid_to >= day))
    ended = list(db.session.scalars(
        select(ResidentAccount).where(ResidentAccount.state != REVOKED, ~still_titled)
        .order_by(ResidentAccount.id)))
    revoked = []
    for account in ended:
        accounts.revoke(account, TITLE_END_ACTOR, "wygasł ostatni tytuł prawny do lokalu")
        revoked.append(account.login)
    return revoked


def steps_done(application: Application) -> list[str]:
    """The plan's steps already behind the application (for the progress list)."""
    if application.state in (COMPLETED,):
        return list(application.plan)
    plan = list(application.plan)
    current = "staff_review" if application.state == CORRECTION else application.state
    return plan[:plan.index(current)] if current in plan else []
