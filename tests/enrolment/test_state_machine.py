"""Random sequences of actions — in order, out of order, replayed, stale, by the wrong
department — never give a resident a usable account without every step of the policy,
in order; and the application always stands at the step after the last one completed."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ACTIVE, MUST_CHANGE, PENDING
from iok_saas.modules.audit.services import events_of
from iok_saas.modules.enrolment import services, tokens
from iok_saas.modules.enrolment.models import (
    COMPLETED,
    CORRECTION,
    REJECTED,
    Application,
)
from iok_saas.modules.enrolment.services import ApplicantData, EnrolmentError
from iok_saas.tenancy import tenant_scope

from .conftest import make_person, tenant

pytestmark = pytest.mark.usefixtures("ctx")

SLUGS = ("zielone-wzgorza", "gdynia", "siarkowiec", "kuzniki", "tczew", "sosnowiec", "skarbek")
STEP_EVENTS = {
    "application.confirm_email": "confirm_email",
    "application.staff_review": "staff_review",
    "application.notify_account_ready": "notify_account_ready",
    "application.in_person_pickup": "in_person_pickup",
}
_buildings = itertools.count(1000)


def _step_of(event) -> str | None:
    """The policy step an audit event completes; a pickup time sent while the application
    waits at the pickup desk is a reschedule, not the step ``schedule_pickup``."""
    if event.action == "application.pickup_scheduled":
        return "schedule_pickup" if (event.before or {}).get("state") == "schedule_pickup" \
            else None
    return STEP_EVENTS.get(event.action)


class ApplicationMachine(RuleBasedStateMachine):
    """One application at one tenant, and everyone poking at it."""

    @initialize(slug=st.sampled_from(SLUGS), data=st.data())
    def file(self, slug, data):
        self.slug = slug
        self.tenant = tenant(slug)
        building = str(next(_buildings))
        self.person_id = make_person(slug, "Ula", "Losowa", building=building, flat="1")
        self.stranger_id = make_person(slug, "Ula", "Losowa", building=building, flat="2")
        with tenant_scope(self.tenant):
            policy = self.tenant.policy
            channels = [c for c in ("electronic", "paper", "email_scan", "in_person")
                        if services.channel_step(c) is not None]
            channel = data.draw(st.sampled_from(channels), label="channel")
            departments = sorted({d["key"] for d in self.tenant.info("departments", [])})
            self.staff = [SimpleNamespace(login=f"s-{d}", department=d) for d in departments]
            applicant_type = sorted(policy.enrolment.eligible & {"owner", "tenant"})[0]
            application = services.submit(
                ApplicantData(first_name="Ula", last_name="Losowa",
                              applicant_type=applicant_type, street="ul. Lipowa",
                              building_number=building, flat_number="1", city="Miasto",
                              email="ula@example.com"),
                channel, "test", regulations_accepted=True)
            db.session.commit()
            self.app_id = application.id
            self.plan = list(application.plan)
            self.links: list[tuple[str, str]] = []
            self.versions: list[int] = [application.version]
            self._remember()

    # --- helpers ------------------------------------------------------------------------

    def _app(self) -> Application:
        application = db.session.get(Application, self.app_id)
        db.session.refresh(application)
        return application

    def _remember(self) -> None:
        """Links and form versions as they are now: later they are replays and stale."""
        application = self._app()
        for purpose in (tokens.CONFIRM, tokens.CORRECT):
            self.links.append((purpose, tokens.make_token(application, purpose)))
        self.versions.append(application.version)

    def _try(self, action) -> None:
        with tenant_scope(self.tenant):
            try:
                action()
            except (EnrolmentError, tokens.LinkError):
                db.session.rollback()
            self._remember()

    def _version(self, data) -> int:
        """Mostly the version on screen now; otherwise one of a form opened earlier."""
        current = self._app().version
        return data.draw(st.one_of(st.just(current), st.sampled_from(self.versions)),
                         label="version")

    def _member(self, data, step: str):
        """Mostly someone of the department the policy names for the step."""
        with tenant_scope(self.tenant):
            right = [m for m in self.staff if services.may_act(m, step)]
        return data.draw(st.one_of(st.sampled_from(right), st.sampled_from(self.staff)),
                         label="staff")

    def _applicant(self) -> ApplicantData:
        application = self._app()
        return services.applicant_data(application)

    # --- actions ------------------------------------------------------------------------

    @rule()
    def do_the_right_thing(self):
        """The resident and the right department doing what the current step asks, with a
        fresh link or form (interleaved with everything below)."""
        with tenant_scope(self.tenant):
            application = self._app()
            state, version = application.state, application.version
            right = {step: next(m for m in self.staff if services.may_act(m, step))
                     for step in ("staff_review", "in_person_pickup")}
            fresh = {purpose: tokens.make_token(application, purpose)
                     for purpose in (tokens.CONFIRM, tokens.CORRECT)}
        if state == "confirm_email":
            self._try(lambda: services.confirm_email(fresh[tokens.CONFIRM]))
        elif state == "staff_review":
            self._try(lambda: services.approve(self._app(), self.person_id,
                                               right["staff_review"], version))
        elif state == CORRECTION:
            self._try(lambda: services.correct_from_link(fresh[tokens.CORRECT],
                                                         self._applicant()))
        elif state == "in_person_pickup":
            self._try(lambda: services.record_pickup(
                self._app(), right["in_person_pickup"], version, document_type="id_card",
                identity_checked=True, receipt_signed=True, application_signed=True,
                person_id=self.person_id))

    @rule(data=st.data())
    def click_a_link(self, data):
        latest = [self.links[-2], self.links[-1]]
        purpose, token = data.draw(st.one_of(st.sampled_from(latest),
                                             st.sampled_from(self.links)), label="link")
        if purpose == tokens.CONFIRM:
            self._try(lambda: services.confirm_email(token))
        else:
            self._try(lambda: services.correct_from_link(token, self._applicant()))

    @rule(data=st.data(), matching=st.booleans())
    def approve(self, data, matching):
        person = self.person_id if matching else self.stranger_id
        self._try(lambda: services.approve(self._app(), person, self._member(data, "staff_review"),
                                           self._version(data)))

    @rule(data=st.data(), really=st.integers(0, 3))
    def reject(self, data, really):
        if really:   # a refusal ends the story: try it a quarter as often as the rest
            return
        self._try(lambda: services.reject(self._app(), "dane się nie zgadzają",
                                          self._member(data, "staff_review"),
                                          self._version(data)))

    @rule(data=st.data())
    def ask_for_correction(self, data):
        self._try(lambda: services.request_correction(self._app(), "popraw dane",
                                                      self._member(data, "staff_review"),
                                                      self._version(data)))

    @rule(data=st.data())
    def staff_enter_correction(self, data):
        self._try(lambda: services.correct_by_staff(self._app(), self._applicant(),
                                                    self._member(data, "staff_review"),
                                                    self._version(data)))

    mostly = st.sampled_from([True, True, True, False])

    @rule(data=st.data(), with_place=mostly)
    def schedule_pickup(self, data, with_place):
        with tenant_scope(self.tenant):
            places = [d["key"] for d in services.pickup_places()]
        place = data.draw(st.sampled_from(places), label="place") if with_place else None
        self._try(lambda: services.schedule_pickup(self._app(), "jutro 10:00", "",
                                                   self._member(data, "in_person_pickup"),
                                                   self._version(data), department=place))

    @rule(data=st.data(), checked=mostly, receipt=mostly, signed=mostly, matching=mostly)
    def pickup(self, data, checked, receipt, signed, matching):
        person = self.person_id if matching else self.stranger_id
        self._try(lambda: services.record_pickup(
            self._app(), self._member(data, "in_person_pickup"), self._version(data),
            document_type="passport" if checked else None, identity_checked=checked,
            receipt_signed=receipt, application_signed=signed, person_id=person))

    # --- what must always hold ------------------------------------------------------------

    @invariant()
    def steps_are_passed_in_order(self):
        with tenant_scope(self.tenant):
            application = self._app()
            done = [_step_of(e) for e in reversed(events_of(application)) if _step_of(e)]
            assert done == self.plan[:len(done)], (done, self.plan)
            account = services.account_of(application)
            db.session.commit()
            if application.state == COMPLETED:
                assert done == self.plan
            elif application.state != REJECTED:
                expected = self.plan[len(done)]
                assert application.state in (expected, CORRECTION if expected ==
                                              "staff_review" else expected)
            if account is not None:
                assert account.person_id == self.person_id          # never the stranger
                if "staff_review" in self.plan:
                    assert "staff_review" in done
                if account.state in (MUST_CHANGE, ACTIVE):
                    assert done == self.plan, (done, self.plan)
                    assert application.state == COMPLETED
                else:
                    assert account.state == PENDING


def test_no_sequence_of_actions_skips_a_policy_step(synced):
    run_state_machine_as_test(
        ApplicationMachine,
        settings=settings(max_examples=80, stateful_step_count=25, deadline=None,
                          suppress_health_check=list(HealthCheck)))
