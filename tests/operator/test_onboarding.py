"""The guided onboarding form: steps checked one by one, answers that become a policy over a
preset, the YAML view, and every refusal in Polish with nothing written."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.tenants.models import Tenant
from iok_saas.tenancy import directory

from ..factories import operator, sign_in_operator
from ..test_operator_console import department_rows, onboarding_form

pytestmark = pytest.mark.usefixtures("ctx")

PASSWORD = "operator-secret-123"
STARTER = (("customer_service", "Biuro Obsługi Mieszkańców", "1"),
           ("finance", "Dział Finansowy", "12"), ("technical", "Dział Techniczny"),
           ("board", "Zarząd"))


@pytest.fixture
def console(synced, host_client):
    with synced.app_context():
        operator("ops@example.com", PASSWORD)
        client = host_client("admin.localhost")
        sign_in_operator(client, "ops@example.com", PASSWORD)
    return client


def guided(**overrides):
    """The form as a browser sends it after answering the policy questions (the YAML view
    left as the page generated it)."""
    data = onboarding_form(departments=STARTER, policy_source="",
                           policy_preset="preset-application-pickup")
    data.update({"channels": ["electronic", "paper"], "delivery": "printed_letter_by_post",
                 "password_min_length": "12", "password_classes": "3",
                 "password_history": "5", "tabs": ["ledger", "faults", "contact"],
                 "block_threshold": "3", "block_lock": "until_unlocked",
                 "recovery_methods": ["email", "in_person"]})
    data.update(overrides)
    return data


def tenants_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Tenant))


def text_of(page) -> str:
    return html.unescape(page.get_data(as_text=True))


def test_the_form_shows_six_steps_marks_required_fields_and_starts_from_a_preset(console):
    page = console.get("/operator/tenants/new")
    text = text_of(page)
    for step in ("1. Dane podstawowe", "2. Adres i kontakt", "3. Działy i biura", "4. Wygląd",
                 "5. Regulamin", "6. Polityka"):
        assert step in text
    assert re.search(r'<label class="form-label" for="slug">Skrót \(subdomena\) '
                     r'<span class="iok-required" aria-hidden="true">\*</span>', text)
    assert re.search(r'<input[^>]*aria-required="true"[^>]*id="slug"', text)
    assert 'type="color"' in text and 'id="preview-header"' in text
    assert 'value="customer_service"' in text  # the presets' departments offered as rows
    assert "extends: preset-application-pickup" in text
    assert "<script src=\"/static/js/onboarding.js\"" in text
    # The presets are offered in words, their file names beside.
    assert re.search(r'<option selected value="preset-application-pickup">Mieszkańcy składają '
                     r'wnioski, biuro je sprawdza[^<]*\(preset-application-pickup\)</option>',
                     text)
    assert "Konta zakłada zarządca, mieszkańcy nie składają wniosków (preset-manager-created)" \
        in text
    # The other policy files by their own descriptions, not bare file names.
    assert ">Zasady jak w: Młodzieżowa Spółdzielnia Mieszkaniowa w Gdyni (gdynia)</option>" in text
    assert ">Ustawienia domyślne platformy, bez zasad żadnej spółdzielni (base)</option>" in text
    assert not re.search(r">[a-z-]+</option>", text)


def test_the_answers_become_a_policy_over_the_preset(console, host_client):
    before = tenants_count()
    page = console.post("/operator/tenants/new", data=guided())
    assert page.status_code == 302, text_of(page)
    assert tenants_count() == before + 1
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "lesna-polana"))
    assert tenant.policy_source.startswith("extends: preset-application-pickup\n")
    assert [d["key"] for d in tenant.profile["departments"]] == [
        "customer_service", "finance", "technical", "board"]
    assert tenant.profile["departments"][0]["room"] == "1"
    policy = directory().get(tenant.id).policy
    assert policy is not None
    assert policy.password.min_length == 12
    assert "min_length" not in policy.password.violations("Zielony-las7", login="x", names=())
    assert "min_length" in policy.password.violations("Zielony-la7", login="x", names=())
    assert policy.password.history == 5
    assert policy.initial_password.delivery == "printed_letter_by_post"
    assert list(policy.enrolment.steps) == ["electronic_form", "paper_application",
                                            "confirm_email", "staff_review",
                                            "notify_account_ready"]
    assert list(policy.navigation) == ["ledger", "faults", "contact"]
    failed = next(r for r in policy.blocking.rules if r.trigger == "failed_logins")
    assert failed.threshold == 3
    assert list(policy.recovery.methods) == ["email", "in_person"]
    assert host_client("lesna-polana.localhost").get("/").status_code == 200


def test_checking_a_step_shows_only_its_problems_in_polish_and_writes_nothing(console):
    before = tenants_count()
    data = guided(slug="admin", password_min_length="500")
    page = console.post("/operator/tenants/new", data={**data, "check": "identity"})
    text = text_of(page)
    assert page.status_code == 422
    assert "Popraw błędy, zanim przejdziesz dalej:" in text
    assert "Skrót „admin” jest zarezerwowany dla platformy — wybierz inny." in text
    assert "Podaj liczbę od 1 do 128" not in text  # the policy step is not checked yet
    assert "reserved for the platform" not in text
    good = console.post("/operator/tenants/new", data={**guided(), "check": "regulations"})
    assert good.status_code == 200
    assert "Krok „Regulamin” i poprzednie są poprawne." in text_of(good)
    assert tenants_count() == before


def test_a_policy_naming_departments_the_manifest_lacks_is_explained_in_polish(console):
    before = tenants_count()
    page = console.post("/operator/tenants/new", data=guided(
        **department_rows(("board", "Zarząd"), ("", ""), ("", ""), ("", ""))))
    text = text_of(page)
    assert page.status_code == 422
    assert ("Polityka wskazuje działy, których nie ma w kroku „Działy i biura”: "
            "„customer_service”, „finance”, „technical”.") in text
    assert "names department(s)" not in text and "does not define" not in text
    assert tenants_count() == before


@pytest.mark.parametrize(("overrides", "message"), [
    ({"slug": "brzeg"}, "Skrót „brzeg” ma już inna spółdzielnia — wybierz inny."),
    ({"slug": "Lesna Polana"}, "Od 2 do 40 znaków: małe litery a–z, cyfry i „-”"),
    ({"primary_color": "#f0f0f0"}, "Biały tekst na kolorze #f0f0f0 ma kontrast"),
    ({"postal_code": "49300"}, "Podaj kod pocztowy w postaci 49-300."),
    ({"departments-1-key": "Finanse"}, "Klucz działu może zawierać tylko małe litery a–z"),
    ({"departments-2-key": "finance"},
     "Dział 3, klucz:</strong> Klucz działu „finance” występuje dwa razy."),
    ({"password_min_length": "6"}, "Hasło krótsze niż minimum platformy (8 znaków)"),
    ({"password_min_length": "500"}, "Podaj liczbę od 1 do 128."),
    ({"policy_source": "extends: base\npassword:\n  history: many\n"},
     "wiersz 3, password.history:</strong> Podaj liczbę całkowitą."),
    ({"policy_source": "extends: bsae\n"}, "Nieznany szablon „bsae”."),
    ({"tabs": ["ledger", "meter_submission"]},
     "„meter_submission” wymaga także „water_meters”."),
    ({"policy_source": "extends: base\nenrolment: {steps: [staff_review], channels: []}\n"},
     "Krok „staff_review” nie może być pierwszy"),
])
def test_each_refusal_is_polish_and_writes_nothing(console, overrides, message):
    before = tenants_count()
    page = console.post("/operator/tenants/new", data=guided(**overrides))
    text = text_of(page)
    assert page.status_code == 422
    assert "Nie zapisano — popraw poniższe błędy:" in text
    assert message in text, text[text.find('id="problems"'):][:3000]
    assert tenants_count() == before


def test_edited_yaml_wins_over_the_answers_and_a_cleared_field_returns_to_them(console):
    first = console.post("/operator/tenants/new", data={**guided(), "check": "policy"})
    generated = re.search(r'name="policy_generated" type="hidden" value="([^"]*)"',
                          first.get_data(as_text=True))[1]
    generated = html.unescape(generated)
    assert "min_length: 12" in generated
    # Unchanged YAML: the answers decide (a later answer changes the policy).
    console.post("/operator/tenants/new", data=guided(
        policy_source=generated, policy_generated=generated, password_min_length="14"))
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "lesna-polana"))
    assert "min_length: 14" in tenant.policy_source
    # Edited YAML: the text wins whatever the answers say.
    edited = generated.replace("min_length: 12", "min_length: 16")
    page = console.post("/operator/tenants/new", data=guided(
        slug="lesna-polana-2", hosts="", policy_source=edited, policy_generated=generated))
    assert page.status_code == 302, text_of(page)
    second = db.session.scalar(select(Tenant).where(Tenant.slug == "lesna-polana-2"))
    assert second.policy_source == edited
    assert directory().get(second.id).policy.password.min_length == 16


def test_a_department_row_is_added_without_javascript(console):
    before = tenants_count()
    page = console.post("/operator/tenants/new", data={**guided(), "add_department": "1"})
    text = text_of(page)
    assert page.status_code == 200
    assert 'name="departments-4-key"' in text and 'name="departments-5-key"' not in text
    assert "Nie zapisano" not in text
    assert tenants_count() == before


def test_the_cli_keeps_precise_english_while_the_problems_carry_codes(synced):
    from iok_saas.modules.audit.services import Actor
    from iok_saas.modules.tenants.manifest import ManifestError, manifest_from_form
    from iok_saas.modules.tenants.services import TenantChangeError, create_tenant

    data = {"slug": "admin", "short_name": "SM Próbna", "legal_name": "SM Próbna",
            "kind": "housing_cooperative", "policy": "admin", "address": {"city": "Brzeg"},
            "contact": {"email": "biuro@probna.example"},
            "departments": [{"key": "board", "name": "Zarząd"}],
            "branding": {"primary_color": "#1f4e79", "accent_color": "#f0b429",
                         "logo_text": "SMP"},
            "regulations": {"version": "1", "text": "Treść."}}
    with pytest.raises(TenantChangeError) as caught:
        create_tenant(manifest_from_form(data), "extends: base\ntabs: [ledger, nowhere]\n",
                      Actor.cli("test"))
    assert caught.value.messages[0] == "slug 'admin' is reserved for the platform"
    assert [p.code for p in caught.value.problems] == ["slug_reserved", "policy_invalid"]
    assert caught.value.problems[0].params == {"slug": "admin"}
    assert caught.value.messages[1].startswith("policies/admin.yaml:2: tabs[1]:")
    with pytest.raises(ManifestError) as refused:
        manifest_from_form({**data, "address": {"city": ""}})
    assert refused.value.messages == ["form: address.city: Missing data for required field."]
    assert refused.value.problems == [(("address", "city"), "Missing data for required field.")]
