"""The operator's overviews: a tenant's figures, the platform table, the policy history
with its diffs and roll-back, and tenant links on the public port."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import BLOCKED, MUST_CHANGE, ResidentAccount
from iok_saas.modules.audit.models import PlatformAuditEvent
from iok_saas.modules.audit.services import Actor, record_platform_event
from iok_saas.modules.imports.models import APPLIED, REJECTED, ImportRun
from iok_saas.modules.notifications.models import FAILED, PENDING, SENT, OutboxMessage
from iok_saas.modules.security.models import SIGNED_IN, WRONG_PASSWORD, SignInEvent
from iok_saas.modules.tenants.models import Tenant
from iok_saas.tenancy import directory, tenant_scope
from iok_saas.timeutil import utcnow

from ..factories import active_resident, operator, sign_in_operator, sign_in_staff, staff
from ..factories import tenant as snapshot_of

pytestmark = pytest.mark.usefixtures("ctx")

_keys = count(1)


@pytest.fixture
def console(synced, host_client):
    operator()
    client = host_client("admin.localhost")
    sign_in_operator(client)
    return client


def seed(slug: str, *, active: int = 0, blocked: int = 0, pending_letters: int = 0,
         sign_ins: int = 0, old_sign_ins: int = 0, wrong: int = 0, sent: int = 0,
         failed: int = 0, waiting: int = 0, applied: int = 0, rejected: int = 0) -> None:
    """Rows of one tenant: accounts by state, sign-ins (some older than 30 days), outbox
    messages and import runs."""
    accounts = [active_resident(slug, first=f"Osoba{n}") for n in
                range(active + blocked + pending_letters)]
    now = utcnow()
    with tenant_scope(snapshot_of(slug)):
        for n, resident in enumerate(accounts):
            account = db.session.get(ResidentAccount, resident.account_id)
            if n >= active:
                account.state = BLOCKED if n < active + blocked else MUST_CHANGE
        user = accounts[0].account_id if accounts else 1
        for outcome, at, times in ((SIGNED_IN, now - timedelta(days=2), sign_ins),
                                   (SIGNED_IN, now - timedelta(days=40), old_sign_ins),
                                   (WRONG_PASSWORD, now - timedelta(days=1), wrong)):
            db.session.add_all(SignInEvent(user_kind="resident", user_id=user, at=at,
                                           outcome=outcome) for _ in range(times))
        for state, times in ((SENT, sent), (FAILED, failed), (PENDING, waiting)):
            db.session.add_all(OutboxMessage(
                delivery_key=f"overview-{next(_keys)}", kind="test", to_address="a@example.com",
                subject="Temat", text_body="x", html_body="<p>x</p>", state=state,
                sent_at=now if state == SENT else None,
                next_attempt_at=now + timedelta(days=1)) for _ in range(times))
        for status, times in ((APPLIED, applied), (REJECTED, rejected)):
            db.session.add_all(ImportRun(
                source="api", dataset="units", checksum="0" * 64, status=status,
                rows_total=4, errors_total=2 if status == REJECTED else 0,
                errors=[], details={}, actor="test") for _ in range(times))
        db.session.commit()


def figure(text: str, row: str, column: str) -> int:
    """A number in the platform table: the row of tenant ``row``, cell ``column``."""
    cells = re.search(rf'<tr id="tenant-{row}">(.*?)</tr>', text, re.S)[1]
    return int(re.search(rf'data-col="{column}">(?:<span[^>]*>)?(\d+)', cells)[1])


def test_the_tenant_page_shows_its_own_figures_only(console):
    seed("kuzniki", active=2, blocked=1, pending_letters=1, sign_ins=3, old_sign_ins=4,
         wrong=1, sent=5, failed=2, waiting=1, applied=2, rejected=1)
    seed("brzeg", active=7, sign_ins=11, sent=13, failed=6, rejected=3)  # never on Kuźniki
    text = console.get("/operator/tenants/kuzniki").get_data(as_text=True)
    accounts = dict(re.findall(r'<tr data-state="(\w+)"><td>[^<]*</td>'
                               r'<td class="text-end">(\d+)</td>', text))
    assert accounts == {"pending": "0", "must_change": "1", "active": "2", "blocked": "1",
                        "revoked": "0"}
    assert "Zablokowane" in text and "Aktywne" in text
    activity = dict(re.findall(r'<tr data-figure="(\w+)">.*?<td class="text-end">'
                               r'(?:<span[^>]*>)?(\d+)', text))
    assert activity == {"sign_ins": "3", "failed_sign_ins": "1", "emails_sent": "5",
                        "emails_failed": "2", "emails_waiting": "1"}
    caption = re.search(r'<h3 class="h6" id="imports-caption">([^<]*)</h3>', text)[1]
    assert "zastosowane 2, odrzucone 1" in caption
    imports = re.search(r'<table[^>]*id="overview-imports"[^>]*>(.*?)</table>', text, re.S)[1]
    assert imports.count("<tr>") - 1 == 3  # the header row, then Kuźniki's three runs
    # The rejected import is an open queue of the office, with its age.
    queues = re.search(r'id="overview-queues">(.*?)</ul>', text, re.S)[1]
    assert "Odrzucone importy" in queues and "najstarsze:" in queues


def test_the_platform_overview_has_every_tenants_figures(console):
    seed("kuzniki", active=2, blocked=1, sign_ins=3, sent=5, failed=2, rejected=1)
    seed("brzeg", active=4, sign_ins=11, old_sign_ins=2, sent=1, applied=3)
    text = console.get("/operator/").get_data(as_text=True)
    assert [figure(text, "kuzniki", c) for c in
            ("accounts", "active", "blocked", "sign_ins", "sent", "failed", "imports",
             "rejected", "queued")] == [3, 2, 1, 3, 5, 2, 0, 1, 1]
    assert [figure(text, "brzeg", c) for c in
            ("accounts", "active", "blocked", "sign_ins", "sent", "failed", "imports",
             "rejected", "queued")] == [4, 4, 0, 11, 1, 0, 3, 0, 0]
    assert figure(text, "gdynia", "accounts") == 0
    assert text.count('<tr id="tenant-') == 8


def _order(text: str) -> list[str]:
    return re.findall(r'<tr id="tenant-([\w-]+)">', text)


def test_the_platform_table_sorts_by_any_column_on_the_server(console):
    seed("kuzniki", sign_ins=3)
    seed("brzeg", sign_ins=9)
    seed("gdynia", sign_ins=5)
    page = console.get("/operator/?sort=sign_ins&dir=desc").get_data(as_text=True)
    assert _order(page)[:3] == ["brzeg", "gdynia", "kuzniki"]
    header = re.search(r'<th scope="col"[^>]*aria-sort="descending">\s*<a[^>]*href="([^"]+)"'
                       r'[^>]*>([^<]+)', page)
    assert header[2].strip() == "Logowania"  # the sorted column says so, and flips when clicked
    assert html.unescape(header[1]) == "/operator/?sort=sign_ins&dir=asc"
    assert page.count("aria-sort=") == 1
    ascending = console.get("/operator/?sort=sign_ins&dir=asc").get_data(as_text=True)
    assert _order(ascending)[-3:] == ["kuzniki", "gdynia", "brzeg"]
    # By name (the default), and an unknown column falls back to it rather than failing.
    by_name = _order(console.get("/operator/").get_data(as_text=True))
    assert _order(console.get("/operator/?sort=nope&dir=sideways").get_data(as_text=True)) \
        == by_name
    names = [snapshot_of(slug).short_name.casefold() for slug in by_name]
    assert names == sorted(names)
    by_status = console.get("/operator/?sort=status&dir=desc")
    assert by_status.status_code == 200


def test_a_suspended_tenant_carries_its_badge_and_sorts_by_status(console):
    console.post("/operator/tenants/gdynia/status/suspend", data={"reason": "Zaległe faktury"})
    page = console.get("/operator/?sort=status&dir=desc").get_data(as_text=True)
    assert _order(page)[0] == "gdynia"
    row = re.search(r'<tr id="tenant-gdynia">(.*?)</tr>', page, re.S)[1]
    assert "zawieszona" in row
    tenant_page = console.get("/operator/tenants/gdynia").get_data(as_text=True)
    assert "Przywróć serwis" in tenant_page


def test_tenant_links_use_the_canonical_host_and_the_public_port(console, app):
    app.config["IOK_PUBLIC_PORT"] = "5000"
    try:
        page = console.get("/operator/tenants/kuzniki").get_data(as_text=True)
        index = console.get("/operator/").get_data(as_text=True)
    finally:
        app.config["IOK_PUBLIC_PORT"] = None
    canonical = snapshot_of("kuzniki").canonical_host
    assert f'id="canonical-link" href="http://{canonical}:5000/"' in page
    assert f'href="http://{canonical}:5000/"' in index
    assert "admin.localhost:5000" not in index.replace("/operator", "")


# --- policy history -----------------------------------------------------------------------

V2 = "extends: base\ntabs: [ledger, water_meters]\n"


def _versions(client, slug="kuzniki") -> str:
    return client.get(f"/operator/tenants/{slug}/policy/versions").get_data(as_text=True)


def _version_links(text: str) -> dict[int, str]:
    return {int(n): path for path, n in re.findall(
        r'<a href="(/operator/tenants/[\w-]+/policy/versions/\d+)">wersja (\d+)</a>', text)}


def test_history_lists_who_changed_the_policy_and_the_diff_shows_the_line(console):
    original = db.session.scalar(select(Tenant.policy_source).where(Tenant.slug == "kuzniki"))
    assert console.post("/operator/tenants/kuzniki/policy",
                        data={"policy_source": V2}).status_code == 302
    text = _versions(console)
    links = _version_links(text)
    assert sorted(links) == [1, 2]
    assert "ops@example.com" in text or "Ops" in text  # who
    assert "zmiana polityki w konsoli" in text and "synchronizacja" not in text
    current = re.search(r'<tr id="version-2">(.*?)</tr>', text, re.S)[1]
    assert "obowiązuje" in current
    page = console.get(links[1]).get_data(as_text=True)
    diff = re.search(r'id="diff-current"[^>]*><code>(.*?)</code>', page, re.S)[1]
    added = [html.unescape(line) for line in re.findall(r'data-kind="add">([^<]*)</span>', diff)]
    removed = {html.unescape(line)
               for line in re.findall(r'data-kind="del">([^<]*)</span>', diff)}
    assert "+tabs: [ledger, water_meters]" in added
    assert {f"-{line}" for line in original.splitlines()
            if line not in V2.splitlines()} <= removed
    assert "Przywróć tę wersję" in page


def test_event_tables_name_what_happened_in_polish(console):
    assert console.post("/operator/tenants/kuzniki/status/suspend",
                        data={"reason": "Przerwa techniczna"}).status_code == 302
    for page in ("/operator/tenants/kuzniki", "/operator/audit"):
        text = html.unescape(console.get(page).get_data(as_text=True))
        assert "zawieszenie serwisu" in text
        assert "tenant.suspend" not in text and "tenant.create" not in text


def test_every_kind_of_policy_change_in_the_history_has_a_polish_label():
    from iok_saas.modules.operator.blueprint import EVENT_LABELS
    from iok_saas.modules.operator.services import POLICY_ACTIONS

    assert set(POLICY_ACTIONS) <= set(EVENT_LABELS)


def test_the_diff_escapes_the_policy_text(console):
    hostile = "extends: base\n# <script>alert('x')</script>\n"
    assert console.post("/operator/tenants/kuzniki/policy",
                        data={"policy_source": hostile}).status_code == 302
    page = console.get(_version_links(_versions(console))[1]).get_data(as_text=True)
    assert "<script>alert" not in page
    assert "+# &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


def test_rolling_back_restores_the_old_text_through_the_policy_check_and_is_audited(
        console, host_client):
    original = db.session.scalar(select(Tenant.policy_source).where(Tenant.slug == "kuzniki"))
    console.post("/operator/tenants/kuzniki/policy", data={"policy_source": V2})
    first = _version_links(_versions(console))[1]
    unconfirmed = console.post(f"{first}/restore", data={})
    assert unconfirmed.status_code == 422
    assert "Zaznacz potwierdzenie" in unconfirmed.get_data(as_text=True)
    assert db.session.scalar(select(Tenant.policy_source).where(
        Tenant.slug == "kuzniki")) == V2
    done = console.post(f"{first}/restore", data={"confirm": "y"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Tenant.policy_source).where(
        Tenant.slug == "kuzniki")) == original
    event = db.session.scalar(select(PlatformAuditEvent).order_by(PlatformAuditEvent.id.desc()))
    assert (event.action, event.actor) == ("tenant.policy", "operator:ops@example.com")
    assert event.before == {"policy_source": V2} and event.after == {"policy_source": original}
    history = console.get(done.headers["Location"]).get_data(as_text=True)
    assert "Przywrócono wersję 1" in history
    assert sorted(_version_links(history)) == [1, 2, 3]
    # The restored policy serves at once: Kuźniki's own tabs are back.
    assert host_client("kuzniki.localhost").get("/").status_code == 200
    # Restoring the version in force again changes nothing and says so.
    again = console.post(f"{first}/restore", data={"confirm": "y"}, follow_redirects=True)
    assert "już obowiązuje" in again.get_data(as_text=True)
    assert db.session.scalar(select(PlatformAuditEvent.id).order_by(
        PlatformAuditEvent.id.desc())) == event.id


def test_a_version_that_no_longer_validates_cannot_be_restored(console):
    record = db.session.scalar(select(Tenant).where(Tenant.slug == "kuzniki"))
    good = record.policy_source
    # A version written before a preset it names was removed: the text does not compile.
    record_platform_event(Actor.cli("test"), "tenant.policy", tenant_id=record.id,
                          before={"policy_source": good},
                          after={"policy_source": "extends: nowhere\n"})
    record_platform_event(Actor.cli("test"), "tenant.policy", tenant_id=record.id,
                          before={"policy_source": "extends: nowhere\n"},
                          after={"policy_source": good})
    db.session.commit()
    links = _version_links(_versions(console))
    broken = links[2]
    response = console.post(f"{broken}/restore", data={"confirm": "y"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nie przywrócono" in text and "nowhere" in text
    db.session.expire_all()
    assert db.session.scalar(select(Tenant.policy_source).where(
        Tenant.slug == "kuzniki")) == good


def test_a_version_of_another_tenant_or_no_version_is_not_found(console):
    console.post("/operator/tenants/kuzniki/policy", data={"policy_source": V2})
    kuzniki_first = _version_links(_versions(console))[1]
    event_id = kuzniki_first.rsplit("/", 1)[1]
    assert console.get(f"/operator/tenants/brzeg/policy/versions/{event_id}").status_code == 404
    assert console.post(f"/operator/tenants/brzeg/policy/versions/{event_id}/restore",
                        data={"confirm": "y"}).status_code == 404
    suspend = console.post("/operator/tenants/gdynia/status/suspend", data={"reason": "test"})
    assert suspend.status_code == 302
    status_event = db.session.scalar(select(PlatformAuditEvent.id).where(
        PlatformAuditEvent.action == "tenant.suspend"))
    assert console.get(f"/operator/tenants/gdynia/policy/versions/{status_event}"
                       ).status_code == 404
    assert console.get("/operator/tenants/nikt/policy/versions").status_code == 404


def test_staff_and_anonymous_visitors_are_refused(synced, host_client):
    anonymous = host_client("admin.localhost")
    for path in ("/operator/", "/operator/tenants/kuzniki",
                 "/operator/tenants/kuzniki/policy/versions"):
        assert "/operator/login" in anonymous.get(path).headers["Location"]
    staff("kuzniki", "biuro")
    office = sign_in_staff(host_client("kuzniki.localhost"), "biuro")
    for path in ("/operator/", "/operator/tenants/kuzniki/policy/versions"):
        assert office.get(path).status_code == 404


def test_a_tenant_whose_policy_is_broken_still_has_its_figures(console):
    """Its site shows a configuration-error page, but the console keeps counting (its
    queues exist only through the policy, so there are none to count)."""
    seed("tczew", active=1, blocked=1)
    record = db.session.scalar(select(Tenant).where(Tenant.slug == "tczew"))
    record.policy_source = "extends: nowhere\n"  # as a file sync can store it
    db.session.commit()
    directory().invalidate()
    index = console.get("/operator/")
    assert index.status_code == 200
    row = re.search(r'<tr id="tenant-tczew">(.*?)</tr>', index.get_data(as_text=True), re.S)[1]
    assert "błąd polityki" in row
    assert figure(index.get_data(as_text=True), "tczew", "blocked") == 1
    page = console.get("/operator/tenants/tczew")
    assert page.status_code == 200
    assert "Nic nie czeka na biuro." in page.get_data(as_text=True)
