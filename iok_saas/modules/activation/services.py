"""Activation codes: enrolment without an office visit (policy ``enrolment.activation_codes``).

Staff issue a one-time code for a person holding an eligible title to a unit; the resident
registers with the code, the flat's number and the amount of the unit's last charge notice,
chooses a password under the tenant's rules and confirms an e-mail address by link. Codes are
kept as SHA-256 hashes (the plain code exists only in the printed batch), expire, are
single-use and are refused for good after the policy's ``max_attempts`` wrong flat numbers or
amounts. Every change is audited; services stage, the boundary commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.accounts.models import ACTIVE as ACCOUNT_ACTIVE
from iok_saas.modules.accounts.models import PENDING, ResidentAccount
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.auth.login import check_password
from iok_saas.modules.auth.models import RESIDENT
from iok_saas.modules.auth.password_check import PlatformFloor, check_new_password
from iok_saas.modules.auth.passwords import hash_password
from iok_saas.modules.housing.models import Person, Title, Unit
from iok_saas.modules.ledger.models import ChargeSchedule
from iok_saas.modules.notices.models import ChargeNotice, ChargeNoticeLine
from iok_saas.modules.notifications.services import queue_email, render_notification
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import utcnow, warsaw_today

from . import tokens
from .models import ACTIVE, EXPIRED, LOCKED, REVOKED, STATES, USED, ActivationCode

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0 or 1: they read alike
CODE_LENGTH = 12
GROUP = 4

STATE_LABELS = {
    ACTIVE: _l("aktywny"),
    USED: _l("wykorzystany"),
    EXPIRED: _l("wygasły"),
    REVOKED: _l("unieważniony"),
    LOCKED: _l("zablokowany (błędne próby)"),
}

MESSAGES = {
    # One answer for an unknown code, a wrong flat number and a wrong amount alike.
    "refused": _l("Nie udało się potwierdzić danych. Sprawdź kod aktywacyjny, numer lokalu "
                  "i kwotę z ostatniego zawiadomienia o opłatach, a potem spróbuj ponownie."),
    "locked": _l("Ten kod aktywacyjny został zablokowany po zbyt wielu błędnych próbach. "
                 "Poproś administrację o nowy kod."),
    "no_longer_valid": _l("Ten kod aktywacyjny nie jest już ważny: wygasł, został "
                          "wykorzystany albo unieważniony. Poproś administrację o nowy kod."),
    "account_exists": _l("Masz już konto w serwisie. Zaloguj się albo skorzystaj z "
                         "odzyskiwania dostępu."),
    "nothing_selected": _l("Wybierz co najmniej jeden lokal z listy."),
    "not_revocable": _l("Tego kodu nie można już unieważnić."),
    # One answer for an unknown login, a wrong password and an account with nothing to confirm.
    "no_link_to_send": _l("Nie wysłano odnośnika: identyfikator lub hasło są nieprawidłowe "
                          "albo konto nie czeka na potwierdzenie adresu e-mail."),
}


class ActivationError(Exception):
    """A refusal; ``code`` picks its Polish message (``message``)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code])


class PasswordRejected(Exception):
    """The code checked out but the chosen password breaks the tenant's rules."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Holder:
    """A person with an eligible current title to a unit and no account yet."""

    unit: Unit
    person: Person
    amount: Decimal | None       # the last charge notice's total (None: nothing to check)
    active_code: ActivationCode | None

    @property
    def key(self) -> str:
        return f"{self.unit.id}-{self.person.id}"


@dataclass(frozen=True)
class IssuedCode:
    """A code as printed: the plain text exists here and in the printed batch only."""

    code: str
    name: str
    unit_label: str
    flat_number: str
    expires_at: datetime


def rules():
    return current_tenant.policy.enrolment.activation_codes


def enabled() -> bool:
    return rules().enabled


# --- codes ------------------------------------------------------------------------------------

def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalize_code(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", (text or "").upper())


def hash_code(text: str) -> str:
    """The stored form: SHA-256 of the tenant and the normalized code (a code of one
    cooperative means nothing at another)."""
    material = f"{current_tenant.id}:{normalize_code(text)}"
    return hashlib.sha256(material.encode()).hexdigest()


def _normalize_flat(text: str) -> str:
    return re.sub(r"\s+", "", (text or "")).lower().lstrip("m.").lstrip("0")


def flat_matches(unit: Unit, entered: str) -> bool:
    """The flat's number, alone ("12") or with the building ("3/12"); case and spaces ignored."""
    number = _normalize_flat(unit.unit_number or unit.building_number)
    given = _normalize_flat(entered)
    whole = _normalize_flat(f"{unit.building_number}/{unit.unit_number}")
    return bool(given) and given in (number, whole)


def parse_amount(text: str) -> Decimal | None:
    """'1 234,56 zł', '1.234,56', '1234.56' -> Decimal('1234.56'); None when it is no
    amount."""
    cleaned = re.sub(r"(zł|pln|\s)", "", (text or "").lower())
    if "," in cleaned:          # a decimal comma: dots are thousands separators then
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(cleaned)
        return amount.quantize(Decimal("0.01")) if amount.is_finite() else None
    except InvalidOperation:  # not a number, or too large to hold grosze
        return None


def last_notice_amount(unit_id: int) -> Decimal | None:
    """The total of the unit's latest charge notice the resident can hold: published, or in
    force this month (next month's, imported early, is not in their hands yet; a correction
    of a period replaces it). Where the tenant imports no notices,
    the charges scheduled today (what the paper notice states)."""
    return notice_amounts([unit_id]).get(unit_id)


def notice_amounts(unit_ids: list[int]) -> dict[int, Decimal]:
    """last_notice_amount for many units in four statements (amounts added as Decimal)."""
    today = warsaw_today()
    this_month = today.replace(day=1)
    latest: dict[int, int] = {}
    for unit_id, notice_id in db.session.execute(
            select(ChargeNotice.unit_id, ChargeNotice.id)
            .where(ChargeNotice.unit_id.in_(unit_ids),
                   # a manager's ready PDF has no lines to add up: the schedule answers then
                   ChargeNotice.pdf_sha256.is_(None),
                   ChargeNotice.published_at.is_not(None) | (ChargeNotice.period <= this_month))
            .order_by(ChargeNotice.period, ChargeNotice.id)):
        latest[unit_id] = notice_id
    totals = _totals(select(ChargeNoticeLine.notice_id, ChargeNoticeLine.amount)
                     .where(ChargeNoticeLine.notice_id.in_(latest.values())))
    found = {unit_id: totals.get(notice_id, Decimal("0.00"))
             for unit_id, notice_id in latest.items()}
    scheduled = _totals(select(ChargeSchedule.unit_id, ChargeSchedule.amount).where(
        ChargeSchedule.unit_id.in_(set(unit_ids) - set(found)),
        ChargeSchedule.valid_from <= today,
        (ChargeSchedule.valid_to.is_(None)) | (ChargeSchedule.valid_to >= today)))
    return {**scheduled, **found}


def _totals(query) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for key, amount in db.session.execute(query):
        totals[key] = totals.get(key, Decimal("0.00")) + amount
    return totals


# --- who may get a code -----------------------------------------------------------------------

def _eligible_titles(unit_id: int | None = None) -> list[Title]:
    query = (select(Title).where(Title.current_on(warsaw_today()))
             .options(joinedload(Title.unit), joinedload(Title.person)))
    if unit_id is not None:
        query = query.where(Title.unit_id == unit_id)
    return [t for t in db.session.scalars(query) if accounts.title_eligible(t)]


def _people_with_accounts() -> set[int]:
    return set(db.session.scalars(select(ResidentAccount.person_id)))


def holders() -> list[Holder]:
    """Everyone who may get a code: an eligible current title, no account yet."""
    with_account = _people_with_accounts()
    active = {(c.unit_id, c.person_id): c for c in db.session.scalars(
        select(ActivationCode).where(ActivationCode.state == ACTIVE))
        if c.shown_state == ACTIVE}
    titles = {(t.unit_id, t.person_id): t for t in _eligible_titles()
              if t.person_id not in with_account}
    amounts = notice_amounts(sorted({unit_id for unit_id, _ in titles}))
    seen = {pair: Holder(t.unit, t.person, amounts.get(t.unit_id), active.get(pair))
            for pair, t in titles.items()}
    return sorted(seen.values(), key=lambda h: (h.unit.label, h.person.last_name))


# --- staff: issue, list, revoke ---------------------------------------------------------------

def issue(keys: list[str], actor: str) -> list[IssuedCode]:
    """A fresh code for each chosen holder ("unit-person" keys from ``holders()``); a
    holder's earlier active code is revoked. Keys of nobody eligible are ignored."""
    chosen = [h for h in holders() if h.key in set(keys) and h.amount is not None]
    if not chosen:
        raise ActivationError("nothing_selected")
    batch = secrets.token_hex(6)
    expires = utcnow() + rules().valid
    issued = []
    for holder in chosen:
        if holder.active_code is not None:
            _revoke(holder.active_code, actor, "reissued")
        plain = new_code()
        code = ActivationCode(code_hash=hash_code(plain), hint=normalize_code(plain)[-4:],
                              unit_id=holder.unit.id, person_id=holder.person.id, batch=batch,
                              expires_at=expires, created_by=actor)
        db.session.add(code)
        db.session.flush()
        record_event(actor, "activation.issue", code, after=_view(code))
        issued.append(IssuedCode(plain, holder.person.full_name, holder.unit.label,
                                 holder.unit.unit_number or holder.unit.building_number,
                                 expires))
    return issued


def codes(state: str | None = None) -> list[ActivationCode]:
    """Every code, newest first; ``state`` one of STATES filters (expired is computed)."""
    rows = db.session.scalars(select(ActivationCode).options(
        joinedload(ActivationCode.unit), joinedload(ActivationCode.person))
        .order_by(ActivationCode.id.desc()))
    return [c for c in rows if state not in STATES or c.shown_state == state]


def counts() -> dict[str, int]:
    found = {state: 0 for state in STATES}
    for code in codes():
        found[code.shown_state] += 1
    return found


def revoke(code_id: int, actor: str) -> ActivationCode | None:
    """Revoke an active (or expired) code; None when there is no such code here."""
    code = db.session.get(ActivationCode, code_id)
    if code is None:
        return None
    if code.state != ACTIVE:
        raise ActivationError("not_revocable")
    _revoke(code, actor, "staff")
    return code


def _revoke(code: ActivationCode, actor: str, reason: str) -> None:
    before = _view(code)
    code.state = REVOKED
    code.revoked_at = utcnow()
    code.revoked_by = actor
    record_event(actor, "activation.revoke", code, before=before,
                 after={**_view(code), "reason": reason})


def _view(code: ActivationCode) -> dict:
    return {"state": code.state, "unit_id": code.unit_id, "person_id": code.person_id,
            "hint": code.hint, "batch": code.batch,
            "expires_at": code.expires_at.isoformat(timespec="seconds")}


# --- the resident registers -------------------------------------------------------------------

@dataclass(frozen=True)
class Registration:
    code: str
    flat_number: str
    amount: str
    email: str
    password: str


def register(data: Registration) -> ResidentAccount:
    """Check the code with the flat and the amount, then create the account with the chosen
    password (pending until the e-mail address is confirmed) and send the link.

    Raises ActivationError (no field named) or PasswordRejected (the Polish rule messages).
    """
    code = _checked_code(data)
    person = code.person
    if db.session.scalar(select(ResidentAccount.id).where(
            ResidentAccount.person_id == person.id)) is not None:
        raise ActivationError("account_exists")
    if not any(t.person_id == person.id for t in _eligible_titles(code.unit_id)):
        raise ActivationError("no_longer_valid")
    login = accounts.new_login()
    problems = _password_problems(data.password, login, person)
    if problems:
        raise PasswordRejected(problems)
    actor = f"resident:{login}"
    account = accounts.create_account(person, actor, login=login)
    account.password_hash = hash_password(data.password)
    account.password_changed_at = utcnow()
    before = _view(code)
    code.state, code.used_at, code.account_id = USED, utcnow(), account.id
    code.email = data.email.strip()
    code.link_nonce = secrets.token_hex(16)
    _revoke_other_codes(person.id, code.id, actor)
    record_event(actor, "activation.redeem", code, before=before,
                 after={**_view(code), "account": login})
    _send_link(code, person, login)
    return account


def _checked_code(data: Registration) -> ActivationCode:
    # Locked for the transaction (PostgreSQL): two tabs sending one code redeem it once.
    code = db.session.scalar(select(ActivationCode).where(
        ActivationCode.code_hash == hash_code(data.code)).with_for_update(of=ActivationCode))
    if code is None:
        raise ActivationError("refused")
    if code.state == LOCKED:
        raise ActivationError("locked")
    amount = parse_amount(data.amount)
    if not flat_matches(code.unit, data.flat_number) or amount is None \
            or amount != last_notice_amount(code.unit_id):
        _wrong_try(code)
    if code.shown_state != ACTIVE:
        raise ActivationError("no_longer_valid")
    return code


def _wrong_try(code: ActivationCode) -> None:
    """Count the wrong flat number or amount; the policy's ``max_attempts``-th locks an
    active code for good. Staged by the caller's boundary even though this raises."""
    code.failed_attempts += 1
    if code.state == ACTIVE and code.failed_attempts >= rules().max_attempts:
        before = _view(code)
        code.state = LOCKED
        record_event("system", "activation.locked", code, before=before,
                     after={**_view(code), "failed_attempts": code.failed_attempts})
        raise ActivationError("locked")
    raise ActivationError("refused")


def _password_problems(password: str, login: str, person: Person) -> list[str]:
    return check_new_password(
        password, rules=current_tenant.policy.password,
        floor=PlatformFloor.from_config(current_app.config), login=login,
        names=[person.first_name, person.last_name],
        cooperative_names=[current_tenant.short_name, current_tenant.legal_name])


def _revoke_other_codes(person_id: int, used_id: int, actor: str) -> None:
    for other in db.session.scalars(select(ActivationCode).where(
            ActivationCode.person_id == person_id, ActivationCode.state == ACTIVE,
            ActivationCode.id != used_id)):
        _revoke(other, actor, "account_created")


def _send_link(code: ActivationCode, person: Person, login: str) -> None:
    subject, text = render_notification(
        "activation_confirm", to_name=person.full_name, login=login,
        link=tokens.make_link(code), valid_until=tokens.valid_until_text())
    queue_email("activation_confirm", code.email, person.full_name, subject, text)


def resend_link(login: str, password: str, email: str, client: str | None) -> ResidentAccount:
    """A new confirmation link for an account registered with a code and not confirmed yet
    (the link expired, never arrived, or the address was mistyped: ``email`` replaces it).
    The password proves who asks; a wrong one counts towards the sign-in lock. The new link
    voids the old one. ActivationError("no_link_to_send") for anything else, alike."""
    account = accounts.find_by_login(login)
    check = check_password(account, RESIDENT, login.strip(), password, client)
    code = None if account is None else db.session.scalar(select(ActivationCode).where(
        ActivationCode.account_id == account.id, ActivationCode.state == USED,
        ActivationCode.email_confirmed_at.is_(None)))
    if not check.ok or code is None or account.state != PENDING:
        raise ActivationError("no_link_to_send")
    before = _view(code)
    code.email, code.link_nonce = email.strip(), secrets.token_hex(16)
    record_event(f"resident:{account.login}", "activation.link_resent", code, before=before,
                 after=_view(code))
    _send_link(code, code.person, account.login)
    return account


def code_for_link(token: str) -> ActivationCode:
    """The used code whose e-mail address the link confirms (tokens.LinkError otherwise)."""
    return tokens.code_for(token)


def confirm_email(token: str) -> ResidentAccount:
    """The link proves the address: it becomes the person's e-mail and the account opens."""
    code = tokens.code_for(token)
    account = db.session.get(ResidentAccount, code.account_id)
    person = code.person
    before = {"state": account.state, "email": person.email}
    person.email = code.email
    if account.state == PENDING:  # a block staff placed meanwhile stays
        account.state = ACCOUNT_ACTIVE
    code.email_confirmed_at = utcnow()
    code.link_nonce = None
    actor = f"resident:{account.login}"
    record_event(actor, "activation.email_confirmed", code, after=_view(code))
    record_event(actor, "account.activate", account, before=before,
                 after={"state": account.state, "email": person.email})
    return account

