"""Small builders for tenant data used across tests (always inside the tenant's scope)."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.accounts.models import ACTIVE, ResidentAccount
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.auth.passwords import hash_password
from iok_saas.modules.housing.models import Association, Person, Title, Unit
from iok_saas.modules.meters.models import ACCEPTED, Meter, MeterReading
from iok_saas.modules.mfa import services as mfa
from iok_saas.modules.mfa import totp
from iok_saas.modules.operator.models import Operator
from iok_saas.modules.operator.services import create_operator
from iok_saas.modules.staff.models import StaffMember
from iok_saas.modules.staff.services import create_first_admin
from iok_saas.tenancy import directory, tenant_scope
from iok_saas.timeutil import utcnow

_serial = itertools.count(1)
# Meets every shipped policy's rules and the platform floor.
RESIDENT_PASSWORD = "Lipa-2026-Kwiat"
STAFF_PASSWORD = "Biuro-haslo-2026!"
# The authenticator-app secrets of test staff and operators (staff need a second factor).
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OPERATOR_TOTP_SECRET = "KRUGKIDROVUWG2ZAMJZG653OEBTG66BA"
OPERATOR = ("ops@example.com", "operator-secret-123")


@dataclass(frozen=True)
class Resident:
    account_id: int
    person_id: int
    unit_id: int
    association_id: int
    login: str


def tenant(slug: str):
    return next(t for t in directory().all() if t.slug == slug)


def resident(slug: str, first="Jan", last="Kowalski", flat="12"):
    """A person with a current owner title to a new flat, and a pending account."""
    with tenant_scope(tenant(slug)):
        n = next(_serial)
        assoc = Association(external_id=f"A{n}", name=f"Wspólnota Lipowa {n}",
                            street=f"ul. Lipowa {n}", postal_code="00-001", city="Miasto")
        unit = Unit(external_id=f"U{n}", association=assoc, street="ul. Lipowa",
                    building_number=str(n), unit_number=flat, city="Miasto")
        person = Person(external_id=f"P{n}", first_name=first, last_name=last,
                        email=f"osoba{n}@example.com")
        db.session.add_all([assoc, unit, person])
        db.session.flush()
        db.session.add(Title(external_id=f"T{n}", person_id=person.id, unit_id=unit.id,
                             kind="owner", valid_from=date(2020, 1, 1)))
        account = accounts.create_account(person, "test")
        db.session.commit()
        return account.id


def credentials(slug: str, account_id: int):
    with tenant_scope(tenant(slug)):
        account = accounts.get_account(account_id)
        issued = accounts.issue_credentials(account, "test", "test")
        db.session.commit()
        return issued.login, issued.password


def active_resident(slug: str, first="Anna", last="Nowicka", flat="12",
                    email: str | None = "") -> Resident:
    """A person holding a current owner title to a new unit in a new association, with an
    active account (password RESIDENT_PASSWORD, own password set, terms accepted)."""
    snapshot = tenant(slug)
    with tenant_scope(snapshot):
        n = next(_serial)
        assoc = Association(external_id=f"RA{n}", name=f"Wspólnota Lipowa {n}",
                            street=f"ul. Lipowa {n}", postal_code="00-001", city="Miasto")
        unit = Unit(external_id=f"RU{n}", association=assoc, street=f"ul. Lipowa {n}",
                    building_number=str(n), unit_number=flat, city="Miasto",
                    bank_account=f"{n % 100:02d}" + "1140" * 6)
        person = Person(external_id=f"RP{n}", first_name=first, last_name=last,
                        email=f"mieszkaniec{n}@example.com" if email == "" else email)
        db.session.add_all([assoc, unit, person])
        db.session.flush()
        db.session.add(Title(external_id=f"RT{n}", person_id=person.id, unit_id=unit.id,
                             kind="owner", valid_from=date(2020, 1, 1)))
        account = ResidentAccount(
            login=accounts.new_login(), person_id=person.id, state=ACTIVE,
            password_hash=hash_password(RESIDENT_PASSWORD), password_changed_at=utcnow(),
            regulations_version=(snapshot.info("regulations") or {}).get("version"))
        db.session.add(account)
        db.session.commit()
        return Resident(account.id, person.id, unit.id, assoc.id, account.login)


def give_title(slug: str, person_id: int, unit_id: int, kind: str = "owner") -> None:
    """Another current title for a person (a second flat, say)."""
    with tenant_scope(tenant(slug)):
        n = next(_serial)
        db.session.add(Title(external_id=f"XT{n}", person_id=person_id, unit_id=unit_id,
                             kind=kind, valid_from=date(2020, 1, 1)))
        db.session.commit()


def sign_in_resident(client, login: str, password: str = RESIDENT_PASSWORD):
    response = client.post("/logowanie", data={"login": login, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "/pierwsze-logowanie" not in response.headers["Location"]
    return client


def staff(slug: str, login: str, department: str | None = None, role: str = "admin") -> int:
    """A staff member with a known, already-changed password (STAFF_PASSWORD)."""
    snapshot = tenant(slug)
    department = department or snapshot.policy.blocking.decided_by
    member, _ = create_first_admin(snapshot, login, f"Pracownik {login}", None, department,
                                   Actor.cli("test"))
    with tenant_scope(snapshot):
        member = db.session.get(StaffMember, member.id)
        member.password_hash = hash_password(STAFF_PASSWORD)
        member.must_change_password = False
        member.password_expires_at = None
        member.role = role
        mfa.enrol_with_secret(member, STAFF_TOTP_SECRET)
        db.session.commit()
        return member.id


def sign_in_staff(client, login: str, password: str = STAFF_PASSWORD):
    """Password, then a fresh code from the staff member's authenticator."""
    response = client.post("/staff/logowanie", data={"login": login, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/logowanie/drugi-krok/")
    snapshot = directory().resolve(client.host)
    with tenant_scope(snapshot):
        member = db.session.scalar(select(StaffMember).where(StaffMember.login == login))
        code = fresh_code(mfa.factor_of(member))
    response = client.post("/logowanie/drugi-krok/", data={"code": code})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/staff/")
    return client


def fresh_code(factor) -> str:
    """A code the factor has not accepted yet: the current step's, or the next one's when
    the current step was used already (the server accepts one step of clock drift), or —
    after a third sign-in within the same 30 seconds — the next step's, after waiting."""
    # The server may have accepted a code since the row was loaded.
    owner = getattr(factor, "tenant_id", None)
    if owner is None:
        db.session.refresh(factor)
    else:
        with tenant_scope(directory().get(owner)):
            db.session.refresh(factor)
    secret, last = factor.secret, factor.last_step
    while True:
        current = totp.step_at(utcnow())
        for step in (current, current + 1):
            if step > last:
                return totp.code_for_step(secret, step)
        time.sleep(1)


def operator(email: str = OPERATOR[0], password: str = OPERATOR[1], name: str = "Ops"):
    """An operator with a known password and authenticator secret."""
    created = create_operator(email, name, password, Actor.cli("test"))
    mfa.enrol_with_secret(created, OPERATOR_TOTP_SECRET)
    db.session.commit()
    return created


def sign_in_operator(client, email: str = OPERATOR[0], password: str = OPERATOR[1]):
    """The operator console's sign-in: password, then a fresh code."""
    response = client.post("/operator/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/operator/drugi-krok/")
    found = db.session.scalar(select(Operator).where(Operator.email == email.lower()))
    response = client.post("/operator/drugi-krok/",
                           data={"code": fresh_code(mfa.factor_of(found))})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def make_meter(slug: str, unit_id: int, history: list[tuple[date, str]] = (),
               kind: str = "cold_water", location: str | None = "łazienka",
               serial: str | None = None) -> int:
    """A meter of ``unit_id`` with accepted manager readings ``history`` [(day, "m³")]."""
    with tenant_scope(tenant(slug)):
        n = next(_serial)
        meter = Meter(external_id=f"M{n}", unit_id=unit_id,
                      serial_number=serial or f"WM-{n:05d}", kind=kind, location=location,
                      installed_on=date(2020, 1, 15))
        db.session.add(meter)
        db.session.flush()
        for index, (day, value) in enumerate(history):
            db.session.add(MeterReading(external_id=f"M{n}-R{index}", meter_id=meter.id,
                                        read_on=day, value=Decimal(value), state=ACCEPTED))
        db.session.commit()
        return meter.id


def enrol_when_asked(client, prefix: str = "/logowanie/drugi-krok"):
    """The forced set-up after a first password: read the secret the page shows (as a
    person would type it into their app) and confirm it with the app's current code.
    Returns the page listing the recovery codes."""
    page = client.get(f"{prefix}/konfiguracja").get_data(as_text=True)
    secret = page.split('data-secret="')[1].split('"')[0]
    response = client.post(f"{prefix}/konfiguracja",
                           data={"code": totp.code_for_step(secret, totp.step_at(utcnow()))})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert 'id="recovery-codes"' in response.get_data(as_text=True)
    return response
