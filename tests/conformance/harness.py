"""One policy, onboarded as a fresh tenant and checked over HTTP against what it promises.

``check_policy`` runs every check of the suite; each check reads its expectations from the
policy (and tests/conformance/oracle.py), drives the app with test clients bound to the
tenant's host, and fails with the step that went wrong. Records the checks need (people,
titles, units, accounts with a known password) are written directly, as the import would;
everything a resident, applicant or clerk does goes through the pages.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass, field
from datetime import date
from html import unescape

from flask import Flask, url_for
from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.features import ALWAYS
from iok_saas.modules.accounts.models import ACTIVE, AccountBlock, ResidentAccount
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.auth.passwords import hash_password
from iok_saas.modules.enrolment.models import Application
from iok_saas.modules.housing.held import note_housing_changed
from iok_saas.modules.housing.models import (
    COMMERCIAL,
    TITLE_KINDS,
    Association,
    Person,
    Title,
    Unit,
)
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.modules.portal.tabs import resident_tabs, staff_desks
from iok_saas.modules.tenants.manifest import manifest_from_form
from iok_saas.modules.tenants.services import create_tenant
from iok_saas.policy.model import Policy
from iok_saas.policy.schema import LONGEST_PASSWORD, STEP_CHANNELS, UNBLOCK_METHODS
from iok_saas.tenancy import directory, tenant_scope
from iok_saas.timeutil import utcnow

from ..conftest import HostClient
from ..factories import enrol_when_asked, sign_in_staff, staff
from . import oracle
from .strategies import DEPARTMENTS

_serial = itertools.count(1)
OLD_PASSWORD = "Start-Haslo-2026-Qx"
"""The seeded residents' password (signing in checks no rules; the rules apply to what a
resident chooses next)."""
INVALID = "Nieprawidłowy identyfikator lub hasło."
LOCKED = "Zbyt wiele nieudanych prób logowania. Konto jest zablokowane do"
BLOCKED = "Konto jest zablokowane."
SHORT_NAME = "SM Jaskółka"
LEGAL_NAME = "Spółdzielnia Mieszkaniowa Jaskółka"
OFFICE_UNBLOCK = tuple(m for m in UNBLOCK_METHODS if m != "email_link")


def onboard(policy_text: str, departments: tuple[str, ...] = DEPARTMENTS) -> tuple[str, Policy]:
    """A new tenant with ``policy_text``, created as the operator console creates one (the
    form's data through ``manifest_from_form``, then ``create_tenant``)."""
    slug = f"conf-{next(_serial)}"  # the suite starts from empty tables
    form_data = {
        "slug": slug, "short_name": SHORT_NAME, "legal_name": LEGAL_NAME,
        "kind": "housing_cooperative", "hosts": [], "policy": slug, "locale": "pl",
        "address": {"street": "ul. Długa 1", "postal_code": "00-950", "city": "Warszawa"},
        "contact": {"email": "biuro@example.com"},
        "departments": [{"key": key, "name": f"Dział {key}", "room": str(index + 1)}
                        for index, key in enumerate(departments)],
        "branding": {"primary_color": "#1d5c8c", "accent_color": "#f0b429",
                     "logo_text": "SMJ"},
        "regulations": {"version": "1", "text": "## 1. Zasady\n\n1. Konto jest osobiste."},
    }
    record = create_tenant(manifest_from_form(form_data), policy_text,
                           Actor.cli("conformance"))
    db.session.commit()
    snapshot = directory().get(record.id)
    assert snapshot.policy is not None, f"onboarded tenant does not serve: {snapshot.policy_errors}"
    return slug, snapshot.policy


@dataclass
class Resident:
    person_id: int
    account_id: int
    login: str
    email: str
    names: tuple[str, str]
    password: str = OLD_PASSWORD
    letter: str = ""


@dataclass
class Records:
    """What the checks need in the tenant's files, written in one transaction."""

    residents: list[Resident]
    holders: list[tuple[int, str, bool]]
    """(person id, title kind, commercial unit?) of people without an account."""
    batch_holders: list[tuple[int, str, bool]]
    walk_unit: dict
    walk_good: int
    walk_bad: int | None


PDF_SHARE = 0.1
"""Share of generated policies whose checks end in a credentials letter (a PDF costs about a
second to render, so the others check the same paths up to the letter)."""


@dataclass
class Checker:
    """The checks for one onboarded tenant. Shipped policies are checked ``thorough``ly: every
    tab, rule and method. A generated policy gets every check with a few probes each, drawn
    with ``rng`` — across the hundreds of policies of a run every probe comes up many times."""

    app: Flask
    slug: str
    policy: Policy
    rng: random.Random
    thorough: bool = False
    _offices: dict = field(default_factory=dict)
    _portal: tuple | None = None
    records: Records | None = None

    def __post_init__(self):
        self.letters = self.thorough or self.rng.random() < PDF_SHARE
        self.records = self._seed()

    @property
    def host(self) -> str:
        return f"{self.slug}.localhost"

    def client(self) -> HostClient:
        return HostClient(self.app, self.app.response_class, host=self.host)

    def snapshot(self):
        return directory().resolve(self.host)

    def path(self, endpoint: str, **values) -> str:
        with self.app.test_request_context(base_url=f"http://{self.host}"):
            return url_for(endpoint, **values)

    def sample(self, items, k: int) -> list:
        items = list(items)
        return items if self.thorough or len(items) <= k else self.rng.sample(items, k)

    # --- records -----------------------------------------------------------------------

    def _seed(self) -> Records:
        with tenant_scope(self.snapshot()):
            association = Association(external_id="A1", name="Wspólnota Klonowa",
                                      street="ul. Klonowa 1", city="Warszawa")
            units = {kind: self._unit(association, str(n), kind)
                     for n, kind in enumerate(("residential", COMMERCIAL, "walk"), 1)}
            combos = [(kind, commercial) for kind in TITLE_KINDS for commercial in (False, True)]
            residents = [self._resident(units["residential"]) for _ in range(4)]
            holders = [self._holder(units, kind, commercial)
                       for kind, commercial in self.sample(combos, 2)]
            batch = [self._holder(units, kind, commercial) for kind, commercial in combos] \
                if self.policy.enrolment.manager_creates and self.letters else []
            walk = self._walk_people(units["walk"])
            note_housing_changed()
            db.session.commit()
            walk_unit = {"street": "ul. Klonowa", "building_number": "3", "flat_number": "3",
                         "city": "Warszawa"}
            return Records([r() for r in residents], [h() for h in holders],
                           [h() for h in batch], walk_unit, *(p() for p in walk))

    def _unit(self, association, number: str, kind: str) -> Unit:
        commercial = kind == COMMERCIAL or (kind == "walk" and self._walk_kind() is None)
        unit = Unit(external_id=f"U{number}", association=association, street="ul. Klonowa",
                    building_number=number, unit_number=number, city="Warszawa",
                    kind=COMMERCIAL if commercial else "residential")
        db.session.add(unit)
        return unit

    def _walk_kind(self) -> str | None:
        return next((k for k in TITLE_KINDS if oracle.eligible(self.policy, k, False)), None)

    def _person(self, unit: Unit, kind: str, first: str = "Łucja",
                last: str = "Żmudzka") -> Person:
        n = next(_serial)
        person = Person(external_id=f"P{n}", first_name=first, last_name=last,
                        email=f"osoba{n}@example.com")
        db.session.add(person)
        db.session.add(Title(external_id=f"T{n}", person=person, unit=unit, kind=kind,
                             valid_from=date(2020, 1, 1)))
        return person

    def _resident(self, unit: Unit):
        person = self._person(unit, "owner")
        account = ResidentAccount(
            login=self.policy.identifier.generate(self.rng), person=person, state=ACTIVE,
            password_hash=hash_password(OLD_PASSWORD), password_changed_at=utcnow(),
            regulations_version="1", letter_number=f"CNF-{next(_serial):08d}")
        db.session.add(account)
        return lambda: Resident(person.id, account.id, account.login, person.email,
                                (person.first_name, person.last_name),
                                letter=account.letter_number)

    def _holder(self, units, kind: str, commercial: bool):
        person = self._person(units[COMMERCIAL if commercial else "residential"], kind)
        return lambda: (person.id, kind, commercial)

    def _walk_people(self, unit: Unit):
        commercial = self._walk_kind() is None
        good = self._person(unit, self._walk_kind() or "owner", "Marta", "Wierzbicka")
        wrong = next((k for k in TITLE_KINDS
                      if not oracle.eligible(self.policy, k, commercial)), None)
        bad = self._person(unit, wrong, "Marta", "Wierzbicka") if wrong else None
        return (lambda: good.id), (lambda: bad.id if bad else None)

    def resident(self) -> Resident:
        return self.records.residents.pop()

    def signed_in(self) -> tuple[Resident, HostClient]:
        """One resident signed in for the checks that only need someone in the portal."""
        if self._portal is None:
            resident = self.resident()
            self._portal = (resident, self.sign_in(resident))
        return self._portal

    def office(self, department: str | None = None) -> HostClient:
        """A signed-in staff administrator of ``department`` (default: the one deciding
        blocks)."""
        department = department or self.policy.blocking.decided_by
        if department not in self._offices:
            login = f"biuro-{department}".replace("_", "-")
            staff(self.slug, login, department)
            self._offices[department] = sign_in_staff(self.client(), login)
        return self._offices[department]

    def mail_to(self, address: str) -> list[OutboxMessage]:
        with tenant_scope(self.snapshot()):
            return db.session.scalars(select(OutboxMessage).where(
                OutboxMessage.to_address == address).order_by(OutboxMessage.id)).all()

    def link_in(self, address: str, path: str) -> str:
        for message in reversed(self.mail_to(address)):
            found = re.search(rf"https?://[^/\s]+({re.escape(path)}\S+)", message.text_body)
            if found:
                return found.group(1)
        raise AssertionError(f"no e-mail to {address} carries a link to {path}")

    # --- signing in ----------------------------------------------------------------------

    def sign_in(self, resident: Resident, client: HostClient | None = None) -> HostClient:
        client = client or self.client()
        response = self.log_in(client, resident.login, resident.password)
        assert response.status_code == 302, _page_problem("sign-in refused", response)
        if "/logowanie/drugi-krok" in response.headers["Location"]:
            enrol_when_asked(client)
        return client

    @staticmethod
    def log_in(client: HostClient, login: str, password: str):
        return client.post("/logowanie", data={"login": login, "password": password})


def _page_problem(what: str, response) -> str:
    text = unescape(response.get_data(as_text=True))
    alerts = re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', text, re.S)
    shown = " | ".join(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", a)).strip() for a in alerts)
    return f"{what}: HTTP {response.status_code}; alerts: {shown or '(none)'}"


def page_text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.get_data(as_text=True)))


def password_errors(response) -> set[str]:
    block = re.search(r'id="password-errors">(.*?)</div>', response.get_data(as_text=True), re.S)
    if block is None:
        return set()
    return {re.sub(r"\s+", " ", unescape(item)).strip()
            for item in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)}


# --- the checks -------------------------------------------------------------------------------

def check_policy(checker: Checker) -> None:
    for check in (check_tabs, check_passwords, check_lockout, check_recovery, check_enrolment,
                  check_eligibility):
        check(checker)


def check_tabs(c: Checker) -> None:
    """Every shown tab answers 200 to a resident, every hidden one 404; the same for staff
    desks."""
    _resident, client = c.signed_in()
    tabs = [tab for tab in resident_tabs().values() if tab.key != "home"]
    for tab in c.sample(tabs, 4):
        response = client.get(c.path(tab.endpoint))
        expected = 200 if c.policy.shows(tab.key) else 404
        assert response.status_code == expected, \
            f"tab {tab.key} ({tab.endpoint}): HTTP {response.status_code}, expected {expected}"
    office = c.office()
    for desk in c.sample(staff_desks(), 2):
        response = office.get(c.path(desk.endpoint))
        expected = 200 if _desk_shown(c.policy, desk.key) else 404
        assert response.status_code == expected, \
            f"staff desk {desk.key} ({desk.endpoint}): HTTP {response.status_code}, " \
            f"expected {expected}"


def _desk_shown(policy, key: str) -> bool:
    """A desk is keyed by a tab, by a policy switch (a dotted path such as
    ``enrolment.activation_codes.enabled``), or shown always."""
    if key == ALWAYS:
        return True
    return policy.switch(key) if "." in key else policy.shows(key)


def _who(resident: Resident) -> oracle.Person:
    return oracle.Person(resident.login, resident.names, (SHORT_NAME, LEGAL_NAME))


def check_passwords(c: Checker) -> None:
    """A password built to satisfy every rule is accepted; one built to break a rule is
    refused with exactly the messages the rules promise; reuse follows ``history``."""
    resident, client = c.signed_in()
    who = _who(resident)
    maker = oracle.PasswordMaker(c.policy, who, c.rng)
    for message, mutate in c.sample(_breaking_rules(c.policy, who), 2):
        password = maker.breaking(mutate, message)
        if password is None:
            continue
        response = _change(client, resident.password, password)
        expected = oracle.expected_messages(c.policy, password, who)
        assert response.status_code == 200, \
            f"password {password!r} breaks {message!r} but was accepted"
        assert password_errors(response) == expected, \
            f"password {password!r}: the page says {sorted(password_errors(response))}, " \
            f"the policy promises {sorted(expected)}"
    previous = resident.password
    first = maker.good()
    assert first is not None, "no password satisfies this policy (the checker let it pass)"
    _accept(client, resident, first, who, c.policy)
    if c.thorough:
        refused = _change(client, resident.password, resident.password)
        assert password_errors(refused) == {oracle.SAME_AS_CURRENT}, \
            f"the current password as the new one: {sorted(password_errors(refused))}"
    again = _change(client, resident.password, previous)
    history = c.policy.password.history
    expected = oracle.expected_messages(c.policy, previous, who)
    expected |= {oracle.history_message(history)} if history else set()
    if expected:
        assert password_errors(again) == expected, \
            f"reusing the previous password (history {history}): the page says " \
            f"{sorted(password_errors(again))}, the policy promises {sorted(expected)}"
    else:
        assert again.status_code == 302, _page_problem("history 0 refused a reuse", again)


def _change(client: HostClient, current: str, new: str):
    return client.post("/konto/haslo", data={"current": current, "new": new, "repeat": new})


def _accept(client, resident: Resident, password: str, who, policy) -> None:
    response = _change(client, resident.password, password)
    assert response.status_code == 302, \
        f"password {password!r} meets every rule but was refused: " \
        f"{sorted(password_errors(response))} (promised none: " \
        f"{sorted(oracle.expected_messages(policy, password, who))})"
    resident.password = password


def _breaking_rules(policy: Policy, who) -> list:
    """(the rule's message, a mutation of a good password that breaks it) per rule."""
    rules = policy.password
    minimum = oracle.effective_min_length(policy)
    wanted: list = []
    if minimum > 1:
        wanted.append((oracle.count_message("min_length", minimum),
                       lambda pw: pw[:minimum - 1]))
    if rules.max_length < LONGEST_PASSWORD:      # a longer one the form itself refuses
        wanted.append((oracle.count_message("max_length", rules.max_length),
                       lambda pw: pw + "k" * (rules.max_length + 1 - len(pw))))
    for cls in oracle.CLASS_POOLS:
        needed = getattr(rules.require, cls)
        if needed:
            wanted.append((oracle.count_message(cls, needed),
                           lambda pw, cls=cls: "".join(
                               ch for ch in pw if oracle.char_class(ch) != cls)))
    return wanted + list(_shape_and_context(policy, who, minimum))


def _shape_and_context(policy: Policy, who, minimum: int):
    """(message, mutation) for the shape and context rules: each writes a piece that breaks
    one rule (a run, a sequence, a forbidden character, the login, the name, the
    cooperative's name) over the end of a good password; a common password replaces it."""
    rules, probe = policy.password, oracle.expected_messages
    run = rules.max_repeated_run
    pieces = [
        "k" * (run + 1) if run else None,
        "kK" * run + "k" if run and not rules.repeated_case_sensitive else None,
        "cdefghij"[: rules.forbid_sequences] if rules.forbid_sequences else None,
        rules.forbidden_characters[:1] or None,
        who.login, "zmudzka", "jaskolka",
    ]
    for piece in (p for p in pieces if p):
        broken = sorted(m for m in probe(policy, piece, who) - probe(policy, "", who)
                        if not m.startswith("Hasło musi"))
        if broken:
            yield broken[0], (lambda pw, piece=piece: pw[: max(len(pw) - len(piece), 0)] + piece)
    words = sorted((w for w in oracle.COMMON if w.isalpha()), key=len)
    common = next((w for w in words if len(w) >= minimum), words[-1])
    message = "Hasło jest zbyt popularne i łatwe do odgadnięcia — wybierz inne."
    if message in probe(policy, common, who):
        yield message, (lambda _pw, common=common: common)


def _failed_logins(c: Checker):
    """(threshold, locks until unlocked?, unblock methods) of the failed-login rule; without
    one the platform's default lock applies (5 failures, 30 minutes)."""
    rule = c.policy.blocking.rule("failed_logins")
    if rule is None:
        return 5, False, c.policy.blocking.unblock_by
    return rule.threshold, rule.lock_for is None, rule.unblock


def check_lockout(c: Checker) -> None:
    """The Nth wrong password locks at the policy's threshold, not before; the lock page
    offers the e-mail link exactly when the rule lists it; each listed method lifts the
    lock, no other does."""
    threshold, until_unlocked, methods = _failed_logins(c)
    resident = c.resident()
    client = c.client()
    text = _lock(c, client, resident, threshold, until_unlocked)
    offered_link = f'href="{c.path("accounts.unlock_request")}"' in text
    assert offered_link == ("email_link" in methods), \
        f"the lock page {'offers' if offered_link else 'lacks'} the e-mail unlock link; " \
        f"methods {methods}"
    status = client.get("/odblokuj").status_code
    assert status == (200 if "email_link" in methods else 404), f"/odblokuj: HTTP {status}"
    if "email_link" in methods:
        _unlock_by_link(c, client, resident, threshold)
        if until_unlocked:
            _lock(c, c.client(), resident, threshold, until_unlocked)
    if until_unlocked:
        _office_unblocks(c, resident, methods, threshold)


def _lock(c: Checker, client, resident: Resident, threshold: int, until_unlocked: bool) -> str:
    """Wrong passwords up to the threshold; returns the page of the one that locked."""
    for attempt in range(1, threshold):
        text = page_text(c.log_in(client, resident.login, f"zle-{attempt}"))
        assert INVALID in text and LOCKED not in text, \
            f"wrong password {attempt} of threshold {threshold}: not a plain refusal"
    locked = page_text(c.log_in(client, resident.login, "zle-ostatnie"))
    expected = BLOCKED if until_unlocked else LOCKED
    assert expected in locked, \
        f"wrong password {threshold} (the threshold) did not lock: expected {expected!r}"
    refused = c.log_in(client, resident.login, resident.password)
    assert refused.status_code != 302, "the right password opened a locked account"
    if until_unlocked:
        c.log_in(client, resident.login, "zle-po-blokadzie")
        _blocked_once(c, resident)
    return locked


def _blocked_once(c: Checker, resident: Resident) -> None:
    """Guessing on at a blocked account does not block it again (nor mail the resident
    again)."""
    with tenant_scope(c.snapshot()):
        blocks = db.session.scalar(select(func.count(AccountBlock.id)).where(
            AccountBlock.account_id == resident.account_id, AccountBlock.lifted_at.is_(None)))
    assert blocks == 1, f"a wrong password on a blocked account left {blocks} open blocks"


def _unlock_by_link(c: Checker, client, resident: Resident, threshold: int) -> None:
    client.post("/odblokuj", data={"login": resident.login, "email": resident.email})
    link = c.link_in(resident.email, "/odblokuj/")
    form = {}
    if c.policy.blocking.unlock_link.new_password:
        new = oracle.PasswordMaker(c.policy, _who(resident), c.rng).good()
        form = {"new": new, "repeat": new}
        resident.password = new
    response = client.post(link, data=form)
    assert response.status_code == 302, _page_problem("the unlock link did not unlock", response)
    _counter_starts_afresh(c, client, resident, threshold)


def _counter_starts_afresh(c: Checker, client, resident: Resident, threshold: int) -> None:
    if threshold > 1:
        text = page_text(c.log_in(client, resident.login, "zle-po-odblokowaniu"))
        assert INVALID in text, "after an unlock or recovery one wrong password locked again"
    signed_in = c.log_in(c.client(), resident.login, resident.password)
    assert signed_in.status_code == 302, _page_problem("no sign-in after unlocking", signed_in)


def _office_unblocks(c: Checker, resident: Resident, methods, threshold: int) -> None:
    office = c.office()
    path = c.path("backoffice.unblock", person_id=resident.person_id)
    offered = [m for m in methods if m in OFFICE_UNBLOCK]
    for method in c.sample([m for m in OFFICE_UNBLOCK if m not in offered], 1):
        response = office.post(path, data={"unblock-method": method,
                                           "unblock-evidence": resident.letter})
        assert response.status_code >= 400, f"unblock by {method} (not in {methods}) worked"
    usable = [m for m in offered if c.letters or m == "staff_unblock"]
    for index, method in enumerate(c.sample(usable, 1)):
        if index:
            _lock(c, c.client(), resident, threshold, True)
        response = office.post(path, data={"unblock-method": method,
                                           "unblock-evidence": resident.letter})
        assert response.status_code in (200, 302), \
            _page_problem(f"unblock by {method} (listed) refused", response)
        if method == "staff_unblock":
            assert response.status_code == 302
            _counter_starts_afresh(c, c.client(), resident, threshold)
        else:
            assert response.mimetype == "application/pdf", f"{method}: no credentials letter"
            _refresh_letter(c, resident)


def _refresh_letter(c: Checker, resident: Resident) -> None:
    """New credentials were issued: note the new login and letter number, and give the
    account a known password again for the steps that follow."""
    with tenant_scope(c.snapshot()):
        account = db.session.get(ResidentAccount, resident.account_id)
        resident.login, resident.letter = account.login, account.letter_number
        account.password_hash = hash_password(OLD_PASSWORD)
        account.password_changed_at = utcnow()
        account.state = ACTIVE
        db.session.commit()
    resident.password = OLD_PASSWORD


def check_recovery(c: Checker) -> None:
    """Each recovery method the policy lists works, and no other does."""
    recovery = c.policy.recovery
    status = c.client().get("/nowe-haslo/nie-ma-takiego").status_code
    assert status == (410 if recovery.offers("email") else 404), f"/nowe-haslo/…: HTTP {status}"
    if recovery.offers("email"):
        _recover_by_email(c)
    resident = c.resident()
    office = c.office(recovery.department)
    path = c.path("backoffice.reset", person_id=resident.person_id)
    listed = recovery.staff_methods
    office_methods = ("written_request", "in_person", "initial_document")
    tried = c.sample([m for m in office_methods if m not in listed], 1)
    tried += c.sample(listed, 1) if c.letters else []
    for method in tried:
        response = office.post(path, data={
            "reset-method": method, "reset-request_note": "Wniosek z dnia 1.03.2026",
            "reset-evidence": resident.letter, "reset-identity_checked": "y"})
        if method in listed:
            assert response.mimetype == "application/pdf", \
                _page_problem(f"recovery by {method} (listed) refused", response)
            _refresh_letter(c, resident)
        else:
            assert response.status_code >= 400, f"recovery by {method} (not listed) worked"


def _recover_by_email(c: Checker) -> None:
    """The e-mailed link sets a new password, and the failures before it no longer count."""
    threshold = _failed_logins(c)[0]
    resident = c.resident()
    client = c.client()
    for attempt in range(threshold - 1):
        c.log_in(client, resident.login, f"zle-{attempt}")
    client.post("/nie-pamietam-hasla", data={"login": resident.login, "email": resident.email})
    link = c.link_in(resident.email, "/nowe-haslo/")
    new = oracle.PasswordMaker(c.policy, _who(resident), c.rng).good()
    response = client.post(link, data={"new": new, "repeat": new})
    assert response.status_code == 302, _page_problem("the recovery link refused", response)
    resident.password = new
    _counter_starts_afresh(c, client, resident, threshold)


def check_enrolment(c: Checker) -> None:
    """The entry channels are exactly the policy's; an application walks exactly the
    policy's steps."""
    enrolment = c.policy.enrolment
    electronic = "electronic_form" in enrolment.steps
    status = c.client().get("/wniosek").status_code
    assert status == (200 if electronic else 404), f"/wniosek: HTTP {status}"
    office_channels = {ch for step in enrolment.filing_steps for ch in STEP_CHANNELS[step]
                       if ch != "electronic" and ch in enrolment.channels}
    filer = c.office(enrolment.filed_with)
    page = filer.get("/staff/wnioski/nowy")
    assert page.status_code == (200 if office_channels else 404), \
        f"/staff/wnioski/nowy: HTTP {page.status_code}, office channels {office_channels}"
    if office_channels:
        shown = set(re.findall(r'<option[^>]*value="(\w+)"', _select(page, "channel")))
        assert shown == office_channels, f"office channels shown {shown}, policy {office_channels}"
    batch = filer.get("/staff/konta/masowo").status_code
    assert batch == (200 if enrolment.manager_creates else 404), f"batch page: HTTP {batch}"
    if not enrolment.manager_creates:
        channels = (["electronic"] if electronic else []) + sorted(office_channels)
        _walk_application(c, c.sample(channels, 1)[0])


def _select(response, name: str) -> str:
    found = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>',
                      response.get_data(as_text=True), re.S)
    return found.group(1) if found else ""


def _walk_application(c: Checker, channel: str) -> None:
    """File by ``channel`` and carry out each step of the plan; the application must wait
    at exactly the plan's steps, in order, and end with the applicant's account."""
    enrolment = c.policy.enrolment
    plan = [s for s in enrolment.later_steps if s != "confirm_email" or channel == "electronic"]
    if "in_person_pickup" in plan and not c.letters:
        plan = plan[:plan.index("in_person_pickup")]
        stop = "in_person_pickup"
    else:
        stop = "completed"
    email = f"wniosek{next(_serial)}@example.com"
    applicant = {"first_name": "Marta", "last_name": "Wierzbicka", "email": email,
                 "applicant_type": sorted(enrolment.eligible)[0], **c.records.walk_unit,
                 "accept_regulations": "y", "regulations_signed": "y"}
    if channel == "electronic":
        response = c.client().post("/wniosek", data=applicant)
    else:
        response = c.office(enrolment.filed_with).post(
            "/staff/wnioski/nowy", data={**applicant, "channel": channel})
    assert response.status_code == 302, _page_problem(f"filing by {channel} refused", response)
    application_id = _application_of(c, email)
    for step in plan:
        if step == "notify_account_ready":
            continue  # automatic: passed on the way to the next step
        state = _state(c, application_id)
        assert state == step, f"the application should wait at {step} (plan {plan}), is {state}"
        _act(c, step, application_id, email)
    state = _state(c, application_id)
    assert state == stop, f"after the steps {plan} the application is at {state}, not {stop}"
    if stop == "completed":
        with tenant_scope(c.snapshot()):
            account = db.session.scalar(select(ResidentAccount).where(
                ResidentAccount.person_id == c.records.walk_good))
        assert account is not None, f"the application completed {plan} without an account"


def _application_of(c: Checker, email: str) -> int:
    with tenant_scope(c.snapshot()):
        return db.session.scalar(select(Application.id).where(Application.email == email))


def _state(c: Checker, application_id: int) -> str:
    with tenant_scope(c.snapshot()):
        return db.session.get(Application, application_id).state


def _version(c: Checker, application_id: int) -> str:
    with tenant_scope(c.snapshot()):
        return str(db.session.get(Application, application_id).version)


def _act(c: Checker, step: str, application_id: int, email: str) -> None:
    enrolment, good, bad = c.policy.enrolment, c.records.walk_good, c.records.walk_bad
    base = f"/staff/wnioski/{application_id}"
    if step == "confirm_email":
        response = c.client().post(c.link_in(email, "/wniosek/potwierdz/"), data={})
        assert response.status_code == 200, _page_problem("confirmation refused", response)
    elif step == "staff_review":
        office = c.office(enrolment.review.department)
        if bad is not None:
            refused = office.post(f"{base}/zatwierdz", data={
                "approve-person_id": bad, "approve-version": _version(c, application_id)})
            assert refused.status_code >= 400, "staff review approved an ineligible person"
        response = office.post(f"{base}/zatwierdz", data={
            "approve-person_id": good, "approve-version": _version(c, application_id)})
        assert response.status_code == 302, _page_problem("approval refused", response)
    elif step == "schedule_pickup":
        places = enrolment.pickup.places or DEPARTMENTS
        response = c.office(enrolment.pickup.department).post(f"{base}/termin", data={
            "schedule-when": "jutro o 10:00", "schedule-department": places[0],
            "schedule-version": _version(c, application_id)})
        assert response.status_code == 302, _page_problem("scheduling refused", response)
        assert any("jutro o 10:00" in m.text_body for m in c.mail_to(email)), \
            "the applicant got no e-mail with the pickup's time"
    elif step == "in_person_pickup":
        _pick_up(c, base, application_id)
    else:
        raise AssertionError(f"the suite does not know how to carry out step {step}")


def _pick_up(c: Checker, base: str, application_id: int) -> None:
    enrolment, good, bad = c.policy.enrolment, c.records.walk_good, c.records.walk_bad
    office = c.office(enrolment.pickup.department)
    pickup = {"pickup-document_type": "id_card", "pickup-identity_checked": "y",
              "pickup-receipt_signed": "y", "pickup-application_signed": "y"}
    if bad is not None and "staff_review" not in enrolment.steps:
        refused = office.post(f"{base}/odbior", data={
            **pickup, "pickup-person_id": bad, "pickup-version": _version(c, application_id)})
        assert refused.status_code >= 400, "the pickup desk created an ineligible account"
    response = office.post(f"{base}/odbior", data={
        **pickup, "pickup-person_id": good, "pickup-version": _version(c, application_id)})
    assert response.mimetype == "application/pdf", _page_problem("pickup refused", response)


def check_eligibility(c: Checker) -> None:
    """The back office creates an account exactly for a title the policy admits, and so
    does the manager's batch where the manager creates every account."""
    office = c.office()
    for person_id, kind, commercial in c.records.holders:
        office.post(f"/staff/osoby/{person_id}/konto", data={})
        _assert_account(c, person_id, kind, commercial, "the back office")
    if c.records.batch_holders:
        response = office.post("/staff/konta/masowo", data={"confirm": "y"})
        assert response.status_code in (200, 302), _page_problem("batch refused", response)
        for person_id, kind, commercial in c.records.batch_holders:
            _assert_account(c, person_id, kind, commercial, "the manager's batch")


def _assert_account(c: Checker, person_id: int, kind: str, commercial: bool, path: str) -> None:
    with tenant_scope(c.snapshot()):
        created = db.session.scalar(select(ResidentAccount.id).where(
            ResidentAccount.person_id == person_id)) is not None
    expected = oracle.eligible(c.policy, kind, commercial)
    assert created == expected, \
        f"{path}: {'commercial' if commercial else 'residential'} {kind}: account " \
        f"{'created' if created else 'refused'}; eligible: {sorted(c.policy.enrolment.eligible)}"
