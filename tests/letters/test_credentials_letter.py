"""The credentials letter PDF: one page per resident, Polish text intact, nothing left out."""

from __future__ import annotations

import dataclasses
import datetime
import io
from types import MappingProxyType

import pytest
from pypdf import PdfReader

from iok_saas.modules.auth.password_check import PlatformFloor, describe_rules
from iok_saas.modules.letters import (
    CredentialsEntry,
    Letterhead,
    LetterLayoutError,
    credentials_letters_pdf,
    letterhead_from_tenant,
)
from iok_saas.policy import compile_policy
from iok_saas.tenancy import TenantSnapshot

ISSUED_AT = datetime.datetime(2025, 11, 21, 13, 5, tzinfo=datetime.UTC)  # 14:05 in Warsaw
RULES = (
    "Hasło musi mieć co najmniej 10 znaków.",
    "Musi zawierać wielką literę, małą literę i cyfrę.",
    "Nie może zawierać loginu ani części imienia lub nazwiska.",
)
LETTERHEAD = Letterhead(
    legal_name="Spółdzielnia Mieszkaniowa „Źródło” w Brzegu",
    address_lines=("ul. Łąkowa 5", "49-300 Brzeg"),
    contact_lines=("Sekretariat: 77 400 00 00", "e-mail: biuro@example.pl"),
    primary_color="#1d5c8c",
    portal_url="https://iok.example.pl",
)
ENTRIES = (
    CredentialsEntry(
        full_name="Zażółć Gęślą-Jaźń",
        login="402817",
        initial_password="Xk7pQ2mWa9",
        valid_until=datetime.date(2025, 12, 5),
        units=("ul. Lipowa 3/12, Brzeg",),
        document_number="SMZ/2025/000123",
    ),
    CredentialsEntry(
        full_name="Łucja Źdźbło-Ćwierć",
        login="593104",
        initial_password="bT4nHs8Ye2",
        valid_until=datetime.date(2026, 1, 9),
        units=("ul. Lipowa 3/14, Brzeg", "ul. Ogrodowa 1/2, Brzeg"),
        document_number="SMZ/2025/000124",
    ),
)


def _pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def batch() -> bytes:
    return credentials_letters_pdf(LETTERHEAD, ENTRIES, RULES, ISSUED_AT)


def test_batch_is_one_page_per_entry(batch):
    assert batch.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(batch)).pages) == len(ENTRIES)


@pytest.mark.parametrize("index", range(len(ENTRIES)))
def test_each_page_carries_its_own_credentials(batch, index):
    entry, other = ENTRIES[index], ENTRIES[1 - index]
    text = _pages_text(batch)[index]

    assert "Dane dostępowe do Internetowej Obsługi Kontrahenta" in text
    assert LETTERHEAD.legal_name in text
    assert entry.full_name in text  # diacritics survive embedding and extraction
    assert entry.login in text
    assert entry.initial_password in text
    assert entry.document_number in text
    assert LETTERHEAD.portal_url in text
    for unit in entry.units:
        assert unit in text
    expiry = entry.valid_until.strftime("%d.%m.%Y")
    assert f"Hasło początkowe jest jednorazowe i ważne do {expiry}" in text
    for rule in RULES:
        assert rule in text
    assert "21.11.2025, godz. 14:05" in text  # issue time in Europe/Warsaw
    assert "Potwierdzam odbiór danych dostępowych" in text

    assert other.initial_password not in text
    assert other.login not in text


def test_letterhead_contacts_and_address_are_printed(batch):
    first_page = _pages_text(batch)[0]
    for line in LETTERHEAD.address_lines + LETTERHEAD.contact_lines:
        assert line in first_page


def test_metadata_has_a_title_and_no_personal_data(batch):
    reader = PdfReader(io.BytesIO(batch))
    metadata = reader.metadata
    assert metadata.title == "Dane dostępowe do Internetowej Obsługi Kontrahenta"
    values = " ".join(str(value) for value in metadata.values())
    for entry in ENTRIES:
        for secret_or_personal in (entry.full_name, entry.login, entry.initial_password):
            assert secret_or_personal not in values


def test_password_never_appears_in_a_repr():
    assert ENTRIES[0].initial_password not in repr(ENTRIES[0])


def test_a_long_policy_is_set_compactly_on_the_same_single_page():
    rules = tuple(f"Zasada numer {n}: hasło spełnia kolejny warunek polityki." for n in range(10))
    many_units = tuple(f"ul. Lipowa 3/{n}, Brzeg" for n in range(1, 9))
    crowded = dataclasses.replace(ENTRIES[1], units=many_units)
    pages = _pages_text(credentials_letters_pdf(LETTERHEAD, [crowded], rules, ISSUED_AT))
    assert len(pages) == 1
    assert rules[-1] in pages[0]
    flowing = " ".join(pages[0].split())  # line breaks and no-break spaces as plain spaces
    assert "3/4, Brzeg oraz 4 kolejne" in flowing  # units past the fourth are counted, not listed
    assert "3/5" not in flowing


def test_the_longest_password_rules_a_policy_can_have_fit_beside_many_units(repo_root):
    # Found by tests/conformance: a valid policy using every password rule had no letter,
    # so no path could hand its residents their credentials.
    text = (repo_root / "policies/base.yaml").read_text(encoding="utf-8")
    for old, new in (("digits: 0, uppercase: 0, lowercase: 0, special: 0",
                      "digits: 5, uppercase: 2, lowercase: 2, special: 2"),
                     ("at_least: 0", "at_least: 3"),
                     ("max_repeated_run: null", "max_repeated_run: 2"),
                     ("repeated_case_sensitive: true", "repeated_case_sensitive: false"),
                     ("forbid_sequences: null", "forbid_sequences: 4"),
                     ('forbidden_characters: ""', 'forbidden_characters: "!#"'),
                     ("history: 3", "history: 18")):
        text = text.replace(old, new)
    policy = compile_policy(text, "policies/longest.yaml", repo_root / "policies")
    rules = describe_rules(policy.password, PlatformFloor())
    crowded = dataclasses.replace(ENTRIES[1], units=tuple(f"ul. Lipowa 3/{n}, Brzeg"
                                                          for n in range(1, 9)))
    pages = _pages_text(credentials_letters_pdf(LETTERHEAD, [crowded], rules, ISSUED_AT))
    assert len(pages) == 1 and len(rules) == 15
    assert rules[-1] in " ".join(pages[0].split())


def test_content_that_cannot_fit_is_refused_rather_than_overprinted():
    rules = tuple(f"Zasada numer {n}." for n in range(40))
    with pytest.raises(LetterLayoutError, match="SMZ/2025/000123"):
        credentials_letters_pdf(LETTERHEAD, ENTRIES[:1], rules, ISSUED_AT)


def test_an_empty_batch_is_refused():
    with pytest.raises(ValueError, match="no entries"):
        credentials_letters_pdf(LETTERHEAD, [], RULES, ISSUED_AT)


def test_primary_colour_must_be_hex():
    with pytest.raises(ValueError, match="rrggbb"):
        Letterhead("SM X", (), (), "blue", "https://x.localhost")


def _tenant(**profile) -> TenantSnapshot:
    return TenantSnapshot(
        id=1,
        slug="x",
        short_name="SM X",
        legal_name="Spółdzielnia Mieszkaniowa X",
        status="active",
        canonical_host="x.localhost",
        hosts=("x.localhost",),
        profile=MappingProxyType(profile),
    )


def test_letterhead_from_tenant_reads_the_manifest_profile():
    tenant = _tenant(
        address={"street": "ul. Żwirki 7", "postal_code": "00-950", "city": "Łódź"},
        contact={
            "email": "biuro@sm-x.example",
            "phones": [
                {"label": "Sekretariat", "number": "42 100 00 01"},
                {"label": "Sekretariat", "number": "42 100 00 02"},
                {"label": "Księgowość", "number": "42 100 00 03"},
            ],
            "website": "https://www.sm-x.example/",
        },
        branding={"primary_color": "#7B2D26"},
    )

    letterhead = letterhead_from_tenant(tenant)

    assert letterhead == Letterhead(
        legal_name="Spółdzielnia Mieszkaniowa X",
        address_lines=("ul. Żwirki 7", "00-950 Łódź"),
        contact_lines=(
            "Sekretariat: 42 100 00 01, 42 100 00 02",
            "Księgowość: 42 100 00 03",
            "e-mail: biuro@sm-x.example",
            "www.sm-x.example",
        ),
        primary_color="#7b2d26",
        portal_url="https://x.localhost",
    )


def test_letterhead_from_tenant_with_a_sparse_profile_and_an_overridden_portal():
    tenant = _tenant(address={"city": "Murowana Goślina"}, branding={"primary_color": "red"})

    letterhead = letterhead_from_tenant(tenant, portal_url="http://x.localhost:5000")

    assert letterhead.address_lines == ("Murowana Goślina",)
    assert letterhead.contact_lines == ()
    assert letterhead.primary_color.startswith("#")  # an invalid colour falls back to the default
    assert letterhead.portal_url == "http://x.localhost:5000"
    pdf = credentials_letters_pdf(letterhead, ENTRIES[:1], (), ISSUED_AT)
    assert "Spółdzielnia Mieszkaniowa X" in _pages_text(pdf)[0]
