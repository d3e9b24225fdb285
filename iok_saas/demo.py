"""`flask demo …`: fictional demo data and the URLs and logins to try it with.

Every resident and staff member here is invented. Demo passwords are fixed and printed so a
newcomer can log in; real accounts only ever get random one-time passwords.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import distinct, func, select

from .extensions import db
from .features import load_features
from .modules.accounts.models import (
    ACTIVE,
    BLOCKED,
    MUST_CHANGE,
    PENDING,
    AccountBlock,
    ResidentAccount,
)
from .modules.accounts.services import new_login
from .modules.activation.demo import demo_lines as activation_demo_lines
from .modules.audit.services import Actor
from .modules.auth.passwords import hash_password
from .modules.enrolment.services import ApplicantData, submit
from .modules.housing.held import note_housing_changed
from .modules.housing.models import Association, Person, Title, Unit
from .modules.mfa import services as mfa
from .modules.mfa import totp
from .modules.operator.models import Operator
from .modules.operator.services import create_operator
from .modules.staff.models import ROLE_ADMIN, ROLE_STAFF, StaffMember
from .tenancy import TenantSnapshot, admin_url, directory, site_url, tenant_scope
from .timeutil import utcnow, warsaw_today

demo_cli = AppGroup("demo", help="Demo data for trying the platform locally.")

DEMO_OPERATOR = ("operator@iok.localhost", "Operator Demo", "demo-operator-2026")
# Meets every shipped policy and the platform floor (length, 4 digits, mixed case, special).
RESIDENT_PASSWORD = "Lipa-2026-Kwiat"
INITIAL_PASSWORD = "Start-2468-Dom"
STAFF_PASSWORD = "Biuro-2026-Demo"
# Staff and operators need a second factor: the demo's are enrolled with these secrets, which
# `flask demo urls` prints (add one to an authenticator app, or use the code printed).
STAFF_TOTP_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"
OPERATOR_TOTP_SECRET = "OVRXI6LBMJRWIZLGM5UGS2TLNRWW433Q"
DEMO_PREFIX = "DEMO-"


@dataclass(frozen=True)
class DemoResident:
    first_name: str
    last_name: str
    street: str
    building: str
    flat: str
    state: str  # active | must_change | blocked | locked


# Holds a title but has no account yet: the demo application in the staff queue is theirs.
APPLICANT = DemoResident("Marek", "Kowalczyk", "ul. Klonowa", "8", "9", "applicant")

RESIDENTS = (
    DemoResident("Anna", "Nowicka", "ul. Lipowa", "3", "12", ACTIVE),
    DemoResident("Piotr", "Zalewski", "ul. Lipowa", "3", "14", MUST_CHANGE),
    DemoResident("Katarzyna", "Wróblewska", "ul. Klonowa", "8", "2", BLOCKED),
    DemoResident("Tomasz", "Jabłoński", "ul. Klonowa", "8", "5", "locked"),
    DemoResident("Magdalena", "Kurowska", "ul. Klonowa", "8", "7", ACTIVE),
)
# One person, two flats in two associations (the flat switcher): Magdalena Kurowska also
# owns a flat in ul. Lipowa 3. (first name, street, building, flat)
SECOND_FLAT = ("Magdalena", "ul. Lipowa", "3", "16")


@demo_cli.command("load")
def load() -> None:
    """Create the demo operator, staff and residents (idempotent)."""
    email, name, password = DEMO_OPERATOR
    if db.session.scalar(select(Operator.id).where(Operator.email == email)) is None:
        operator = create_operator(email, name, password, Actor.cli("demo"))
        mfa.enrol_with_secret(operator, OPERATOR_TOTP_SECRET)
        db.session.commit()
    for tenant in directory().all():
        if tenant.policy is None:
            continue
        with tenant_scope(tenant):
            if _has_demo_data():
                continue
            _load_staff(tenant)
            _load_residents(tenant)
            db.session.commit()
            _file_demo_application(tenant)
            _seed_portal_data()
    click.echo("demo data ready")


def _seed_portal_data() -> None:
    """Each feature seeds its own demo content (nothing where the tenant's policy hides
    it), in the order features declare: the import first, so ledgers, meters and records
    arrive through the real import path."""
    today = warsaw_today()
    seeders = sorted(load_features().each("demo"), key=lambda pair: pair[0].demo_order)
    for _feature, seed in seeders:
        seed(today)
        db.session.commit()


def _has_demo_data() -> bool:
    return db.session.scalar(
        select(Person.id).where(Person.external_id.like(f"{DEMO_PREFIX}%")).limit(1)) is not None


def _load_staff(tenant: TenantSnapshot) -> None:
    deciding = tenant.policy.blocking.decided_by
    other = next((d["key"] for d in tenant.info("departments", []) if d["key"] != deciding),
                 deciding)
    for login, full_name, department, role in (
            ("admin", "Administrator Demo", deciding, ROLE_ADMIN),
            ("pracownik", "Pracownik Demo", other, ROLE_STAFF)):
        member = StaffMember(login=login, full_name=full_name, department=department,
                             role=role, password_hash=hash_password(STAFF_PASSWORD),
                             must_change_password=False)
        db.session.add(member)
        db.session.flush()
        mfa.enrol_with_secret(member, STAFF_TOTP_SECRET)


def _load_residents(tenant: TenantSnapshot) -> None:
    city = (tenant.info("address") or {}).get("city", "Miasto")
    associations: dict[str, Association] = {}
    for index, demo in enumerate((*RESIDENTS, APPLICANT), start=1):
        association = associations.get(demo.street) or Association(
            external_id=f"{DEMO_PREFIX}A{len(associations) + 1}",
            name=f"Wspólnota Mieszkaniowa {demo.street} {demo.building}",
            street=f"{demo.street} {demo.building}", postal_code=None, city=city)
        associations[demo.street] = association
        unit = Unit(external_id=f"{DEMO_PREFIX}U{index}", association=association,
                    street=demo.street, building_number=demo.building, unit_number=demo.flat,
                    city=city, bank_account=f"{index:02d}" + "1020" * 6)
        person = Person(external_id=f"{DEMO_PREFIX}P{index}", first_name=demo.first_name,
                        last_name=demo.last_name, email=f"{demo.first_name.lower()}@example.com")
        db.session.add_all([unit, person])
        db.session.flush()
        db.session.add(Title(external_id=f"{DEMO_PREFIX}T{index}", person_id=person.id,
                             unit_id=unit.id, kind="owner", valid_from=date(2019, 5, 1)))
        if demo.state != "applicant":
            _demo_account(tenant, person, demo.state)
    _second_flat(associations, city, len(RESIDENTS) + 2)
    note_housing_changed()


def _second_flat(associations: dict[str, Association], city: str, index: int) -> None:
    first_name, street, building, flat = SECOND_FLAT
    person = db.session.scalar(select(Person).where(
        Person.external_id.like(f"{DEMO_PREFIX}P%"), Person.first_name == first_name))
    unit = Unit(external_id=f"{DEMO_PREFIX}U{index}", association=associations[street],
                street=street, building_number=building, unit_number=flat, city=city,
                bank_account=f"{index:02d}" + "1020" * 6)
    db.session.add(unit)
    db.session.flush()
    db.session.add(Title(external_id=f"{DEMO_PREFIX}T{index}", person_id=person.id,
                         unit_id=unit.id, kind="owner", valid_from=date(2021, 9, 1)))


def _demo_account(tenant: TenantSnapshot, person: Person, state: str) -> None:
    fresh = state == MUST_CHANGE
    account = ResidentAccount(
        login=new_login(), person_id=person.id, state=ACTIVE if state == "locked" else state,
        password_hash=hash_password(INITIAL_PASSWORD if fresh else RESIDENT_PASSWORD),
        initial_password_expires_at=utcnow() + timedelta(days=30) if fresh else None,
        password_changed_at=None if fresh else utcnow(),
        regulations_version=None if fresh else (tenant.info("regulations") or {}).get("version"),
        locked_until=utcnow() + timedelta(hours=1) if state == "locked" else None,
        letter_number=f"{DEMO_PREFIX}{person.id}")
    db.session.add(account)
    db.session.flush()
    if state == BLOCKED:
        db.session.add(AccountBlock(account_id=account.id, trigger="misuse", channel="phone",
                                    reason="Demo: zgłoszenie telefoniczne",
                                    blocked_by="staff:admin"))


def _file_demo_application(tenant: TenantSnapshot) -> None:
    """One application waiting in the staff queue, filed the way the policy takes them."""
    enrolment = tenant.policy.enrolment
    if not enrolment.filing_steps:
        return  # the manager creates accounts; nobody applies
    channel = "electronic" if "electronic" in enrolment.channels else sorted(enrolment.channels)[0]
    applicant_type = "owner" if "owner" in enrolment.eligible else sorted(enrolment.eligible)[0]
    city = (tenant.info("address") or {}).get("city", "Miasto")
    data = ApplicantData(first_name=APPLICANT.first_name, last_name=APPLICANT.last_name,
                         applicant_type=applicant_type, street=APPLICANT.street,
                         building_number=APPLICANT.building, flat_number=APPLICANT.flat,
                         city=city, email="marek@example.com", phone="600 000 009")
    submit(data, channel, "demo", regulations_accepted=True,
           entered_by=None if channel == "electronic" else "staff:admin")


@demo_cli.command("urls")
def urls() -> None:
    """Print every URL and demo login."""
    click.echo("\nIOK SaaS demo")
    click.echo(f"  Operator console: {admin_url('operator.index')}")
    click.echo(f"    login: {DEMO_OPERATOR[0]}  password: {DEMO_OPERATOR[2]}")
    click.echo(f"    {_second_factor(OPERATOR_TOTP_SECRET)}")
    for tenant in directory().all():
        click.echo(f"\n  {tenant.short_name}: {site_url(tenant.canonical_host, 'site.start')}")
        click.echo(f"    staff: {site_url(tenant.canonical_host, 'staff.login')}  "
                   f"logins admin / pracownik, password {STAFF_PASSWORD}")
        click.echo(f"      {_second_factor(STAFF_TOTP_SECRET)}")
        for login, name, state, flats in _demo_logins(tenant):
            password = INITIAL_PASSWORD if state == MUST_CHANGE else RESIDENT_PASSWORD
            label = _state_label(state) + (f", {flats} flats (switcher)" if flats > 1 else "")
            click.echo(f"    resident {login:10} {name:24} {label:38} {password}")
        for line in activation_demo_lines(tenant):
            click.echo(f"    {line}")
    base = current_app.config["IOK_BASE_DOMAIN"]
    click.echo(f"\n  Unknown host (platform 404): {site_url(f'nowhere.{base}', 'site.start')}\n")


def _second_factor(secret: str) -> str:
    """The authenticator secret and the code valid now (codes change every 30 seconds and
    each is accepted once: run `flask demo urls` again, or add the secret to an app)."""
    code = totp.code_for_step(secret, totp.step_at(utcnow()))
    return (f"second factor: authenticator secret {secret} "
            f"(code now: {code}; or: oathtool --totp -b {secret})")


def _demo_logins(tenant: TenantSnapshot) -> list[tuple[str, str, str, int]]:
    """(login, name, state, number of flats) of every demo resident."""
    flats = (select(func.count(distinct(Title.unit_id)))
             .where(Title.person_id == Person.id, Title.current_on(warsaw_today()))
             .scalar_subquery())
    with tenant_scope(tenant):
        rows = db.session.execute(
            select(ResidentAccount.login, Person.first_name, Person.last_name,
                   ResidentAccount.state, ResidentAccount.locked_until, flats)
            .join(Person, Person.id == ResidentAccount.person_id)
            .where(Person.external_id.like(f"{DEMO_PREFIX}%"))
            .order_by(Person.external_id)).all()
    return [(login, f"{first} {last}", "locked" if locked else state, count)
            for login, first, last, state, locked, count in rows]


def _state_label(state: str) -> str:
    return {
        ACTIVE: "active",
        MUST_CHANGE: "first login: must change password",
        BLOCKED: "blocked (staff must unblock)",
        PENDING: "pending (e.g. e-mail not confirmed yet)",
        "locked": "locked for an hour (failed logins)",
    }[state]


@demo_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the demo on the development server; the URLs and logins are printed last, so
    they stay on screen (request lines are not logged; errors still are)."""
    from werkzeug.serving import make_server

    server = make_server(host, port, current_app._get_current_object(), threaded=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server.log_startup()
    click.get_current_context().invoke(urls)
    click.echo(f"Serving on http://{host}:{port}/ — stop with Ctrl+C. Resident logins are "
               "drawn anew by every `flask demo load`; `flask --app iok_saas demo urls` prints "
               "them again.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
