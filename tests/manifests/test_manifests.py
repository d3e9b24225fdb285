"""Tenant manifests: the eight shipped files, and the messages bad files get."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from iok_saas.modules.tenants.manifest import (
    Manifest,
    ManifestError,
    contrast_with_white,
    load_manifest,
    load_manifest_dir,
    load_manifest_text,
    manifest_from_form,
)
from iok_saas.yamlsource import ConfigFileError

ROOT = Path(__file__).resolve().parents[2]
TENANTS = ROOT / "tenants"
# The cooperatives' published texts live in shared/ beside the repository (as in CI).
SEEDS = Path(os.environ.get("IOK_SEEDS_DIR", ROOT.parent / "shared" / "seeds"))
SEED_PREFIX = {
    "brzeg": "000",
    "siarkowiec": "001",
    "gdynia": "002",
    "zielone-wzgorza": "003",
    "kuzniki": "004",
}
# Written from rules read on the cooperatives' own web pages (cited in each manifest); their
# texts are not stored as seeds.
FROM_WEB_PAGES = ("tczew", "sosnowiec", "skarbek")
UNKNOWN = "unknown key (tenants/README.md lists the keys a manifest may have)"

# Line numbers in the assertions below refer to this text.
VALID = """\
slug: demo
short_name: SM Demo
legal_name: Spółdzielnia Mieszkaniowa Demo
kind: housing_cooperative
hosts: [iok.demo.pl]
policy: demo
address: {street: ul. Prosta 1, postal_code: 00-001, city: Warszawa}
contact:
  email: biuro@demo.pl
  phones: [{label: Biuro, number: "22 123 45 67"}]
tax_ids: {nip: "7471668698", regon: "531686762"}
departments:
  - {key: finance, name: Dział Finansowy}
  - {key: technical, name: Dział Techniczny}
branding: {primary_color: "#1d5c8c", accent_color: "#f0b429", logo_text: DEMO}
regulations:
  version: "1"
  text: Treść regulaminu.
"""


def errors_of(text: str, source: str = "demo.yaml") -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load_manifest_text(text, source)
    return caught.value.messages


def changed(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


def shipped() -> dict[str, Manifest]:
    return {manifest.slug: manifest for manifest in load_manifest_dir(TENANTS)}


def department(manifest: Manifest, key: str) -> dict:
    return next(d for d in manifest.profile["departments"] if d["key"] == key)


# --- the shipped manifests ------------------------------------------------------------------


def test_the_eight_cooperatives_ship_and_load():
    manifests = load_manifest_dir(TENANTS)
    assert [m.slug for m in manifests] == sorted((*SEED_PREFIX, *FROM_WEB_PAGES))
    for manifest in manifests:
        assert manifest.policy == manifest.slug
        assert manifest.locale == "pl"
        json.loads(json.dumps(manifest.profile))  # storable and renderable as is


def test_brzeg_publishes_its_contacts_and_tax_ids():
    brzeg = shipped()["brzeg"]
    assert brzeg.kind == "association_manager"
    assert brzeg.hosts == ("iok.mzmk-brzeg.pl",)
    contact = brzeg.profile["contact"]
    assert contact["emergency"] == {
        "label": "Pogotowie Mieszkaniowe",
        "number": "797 426 891",
        "hours": "po 15:30",
    }
    assert [p["number"] for p in contact["phones"]] == ["77 416 42 58", "77 416 42 59"]
    assert contact["fax"] == "77 404 53 25"
    assert contact["email"] == "sekretariat@mzmk-brzeg.pl"
    assert brzeg.profile["tax_ids"] == {"nip": "7471668698", "regon": "531686762"}
    assert brzeg.profile["address"] == {
        "street": "ul. Towarowa 6",
        "postal_code": "49-300",
        "city": "Brzeg",
    }
    assert department(brzeg, "finance")["name"] == "Wydział Finansowy"


def test_siarkowiec_has_the_departments_its_rules_name():
    siarkowiec = shipped()["siarkowiec"]
    assert {"technical", "secretariat", "membership"} <= siarkowiec.department_keys()
    technical = department(siarkowiec, "technical")
    assert technical["name"] == "Dział Techniczny"
    assert technical["phone"] == "15 823-38-88 wew. 29, 34"
    assert technical["room"] == "108 lub 213"
    assert department(siarkowiec, "secretariat")["name"] == "Sekretariat Zarządu"
    assert department(siarkowiec, "membership")["name"] == "Dział Członkowski"


def test_gdynia_accounting_runs_the_portal():
    gdynia = shipped()["gdynia"]
    accounting = department(gdynia, "accounting")
    assert accounting["name"] == "Księgowość"
    assert accounting["room"] == "18"
    assert accounting["phone"] == "58-629-00-16 wew. 326"
    assert accounting["email"] == gdynia.profile["contact"]["email"] == "iok@msmgdynia.pl"
    assert gdynia.profile["address"]["street"] == "ul. Paprykowa 12"


@pytest.mark.parametrize("slug", ["zielone-wzgorza", "kuzniki"])
def test_smaller_cooperatives_have_the_usual_departments(slug):
    assert {"secretariat", "finance", "technical"} <= shipped()[slug].department_keys()


def test_kuzniki_contacts():
    kuzniki = shipped()["kuzniki"]
    assert kuzniki.profile["contact"]["email"] == "sekretariat@smkuzniki.pl"
    assert kuzniki.profile["address"]["street"] == "ul. Majakowskiego 40/1A"
    assert kuzniki.profile["regulations"]["version"] == "2023-11-29"


def test_tczew_publishes_only_its_website():
    tczew = shipped()["tczew"]
    assert tczew.profile["address"] == {"city": "Tczew"}
    assert tczew.profile["contact"] == {"website": "https://sm.tczew.pl", "phones": []}
    assert {"secretariat", "board"} == tczew.department_keys()


def test_sosnowiec_rent_accounting_runs_e_czynsze():
    sosnowiec = shipped()["sosnowiec"]
    assert department(sosnowiec, "accounting")["name"] == "Dział Księgowości Czynszów"
    assert sosnowiec.profile["address"]["street"] == "al. Zwycięstwa 3"
    assert sosnowiec.profile["contact"]["phones"][0]["number"] == "32 266 00 71"
    assert sosnowiec.profile["regulations"]["title"] == "Regulamin modułu E-CZYNSZE"


def test_skarbek_address_and_resolution():
    skarbek = shipped()["skarbek"]
    assert skarbek.profile["address"] == {"street": "ul. S. Moniuszki 66 I",
                                          "postal_code": "58-300", "city": "Wałbrzych"}
    assert skarbek.profile["regulations"]["version"] == "2018-08-22"


def test_brand_colours_are_distinct_and_readable():
    brandings = [m.profile["branding"] for m in shipped().values()]
    primaries = {b["primary_color"] for b in brandings}
    assert len(primaries) == len(brandings)
    assert all(contrast_with_white(colour) >= 4.5 for colour in primaries)


# Each cooperative's regulations must carry the rules it publishes (see COOPERATIVES.md).
PUBLISHED_RULES = {
    "brzeg": [
        "co najmniej 4 znaki",
        "wielką",
        "małą",
        "na dzień, w którym Użytkownik się zalogował",
        "symulacja",
        "Wydziałem Finansowym",
        "tylko osobiście",
        "zablokować konto",
    ],
    "siarkowiec": [
        "Sekretariacie Zarządu",
        "e-mailem lub telefonicznie",
        "potwierdzając odbiór na piśmie",
        "Wkład",
        "sprawy sądowe",
        "wniosek o odebranie dostępu",
        "15 823-38-88 wew. 29 lub 34",
        "zablokowane natychmiast",
        "decyduje Dział Techniczny",
    ],
    "gdynia": [
        "lokalu mieszkalnego albo użytkowego",
        "wspólnocie mieszkaniowej",
        "formularz elektroniczny",
        "odmową dostępu",
        "co najmniej 6 znaków",
        "co najmniej 4 cyfry",
        "na dzień logowania",
        "pokój 18",
        "koszty wykupu gruntu",
        "trwałego usunięcia",
        "decyduje dział księgowości",
        "prawo wglądu do swoich danych osobowych i do ich poprawiania",
    ],
    "zielone-wzgorza": [
        "czynsz, kredyt",
        "podać nowe odczyty",
        "zgłosić awarię",
        "potwierdza, że adres jest prawidłowy",
        "dokumentem tożsamości",
        "co najmniej 6 znaków, w tym co najmniej 1 cyfrę",
        "zapomni hasła",
    ],
    "kuzniki": [
        "zmianę liczby osób",
        "dokumentu tożsamości",
        "charakter informacyjny",
        "pracownik Spółdzielni ich nie sprawdza",
        "pisemne żądanie",
        "następnego dnia roboczego",
        "przestaje prowadzić rozrachunki",
        "sekretariat@smkuzniki.pl",
    ],
    "tczew": [
        "właściciel lokalu",
        "terminem i miejscem odbioru",
        "dokumentu tożsamości",
        "wyłącznie informacji",
        "bez sprawdzania przez pracownika",
        "osobiście w siedzibie",
        "niezwłocznie zmienić hasło",
        "na pisemne żądanie",
    ],
    "sosnowiec": [
        "składniki opłat",
        "Dziale Księgowości Czynszów",
        "dokumentem tożsamości ze zdjęciem",
        "akceptację tego regulaminu",
        "ustaw własne hasło",
        "jedną osobę",
        "nie wolno udostępniać",
        "niezwłocznie zablokuje dostęp",
    ],
    "skarbek": [
        "zarządza lub które administruje",
        "spółdzielcze prawo do lokalu, własność albo najem",
        "osobiście",
        "tymczasowym hasłem",
        "przy pierwszym logowaniu",
        "siedem dni w tygodniu",
        "tylko osoba, dla której je założono",
        "utratę hasła",
        "4/10/2018",
    ],
}


@pytest.mark.parametrize("slug", sorted(PUBLISHED_RULES))
def test_regulations_state_the_published_rules(slug):
    text = shipped()[slug].profile["regulations"]["text"]
    flowing = " ".join(text.split()).lower()  # rules may wrap across lines
    missing = [rule for rule in PUBLISHED_RULES[slug] if rule.lower() not in flowing]
    assert missing == []
    assert re.search(r"^## ", text, re.M) and re.search(r"^\s*1\. ", text, re.M)


def word_runs(text: str, length: int) -> set[tuple[str, ...]]:
    # Case and punctuation are ignored so that copying cannot hide behind a changed comma.
    words = re.sub(r"[^\w]+", " ", text.lower()).split()
    return {tuple(words[i : i + length]) for i in range(len(words) - length + 1)}


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed texts not found at {SEEDS}")
@pytest.mark.parametrize("slug", sorted(SEED_PREFIX))
def test_regulations_are_our_own_words(slug):
    (seed,) = SEEDS.glob(f"{SEED_PREFIX[slug]}_*.txt")
    ours = shipped()[slug].profile["regulations"]["text"]
    shared = word_runs(ours, 12) & word_runs(seed.read_text(encoding="utf-8"), 12)
    assert [" ".join(run) for run in shared] == []


# --- a valid manifest and its defaults --------------------------------------------------------


def test_valid_manifest_loads_with_defaults():
    manifest = load_manifest_text(VALID, "demo.yaml")
    assert manifest.hosts == ("iok.demo.pl",)
    assert manifest.locale == "pl"
    assert manifest.department_keys() == {"finance", "technical"}
    assert manifest.profile["regulations"]["title"].startswith("Regulamin")
    assert set(manifest.profile) == {
        "address",
        "contact",
        "tax_ids",
        "departments",
        "branding",
        "regulations",
    }


def test_load_manifest_names_the_path(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(changed("logo_text: DEMO", "logo_text: DEMOLOGO"), encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert caught.value.messages == [
        f"{path}:15: branding.logo_text: Length must be between 1 and 6."
    ]


def test_unquoted_date_version_is_kept_as_text():
    manifest = load_manifest_text(changed('version: "1"', "version: 2023-11-29"), "demo.yaml")
    assert manifest.profile["regulations"]["version"] == "2023-11-29"


@pytest.mark.parametrize("written", ["747-166-86-98", "747 166 86 98", "7471668698"])
def test_nip_spacing_is_normalised(written):
    manifest = load_manifest_text(changed('"7471668698"', f'"{written}"'), "demo.yaml")
    assert manifest.profile["tax_ids"]["nip"] == "7471668698"


def test_fourteen_digit_regon_is_accepted():
    manifest = load_manifest_text(changed('"531686762"', '"53168676200013"'), "demo.yaml")
    assert manifest.profile["tax_ids"]["regon"] == "53168676200013"


# --- bad input, precise messages ------------------------------------------------------------


def test_manifest_error_is_a_config_file_error():
    assert issubclass(ManifestError, ConfigFileError)


def test_unknown_top_level_key():
    assert errors_of(VALID + "colour: red\n") == [f"demo.yaml:19: colour: {UNKNOWN}"]


def test_unknown_nested_key_and_the_missing_one():
    assert errors_of(changed("logo_text: DEMO", "logo: DEMO")) == [
        "demo.yaml:15: branding.logo_text: Missing data for required field.",
        f"demo.yaml:15: branding.logo: {UNKNOWN}",
    ]


@pytest.mark.parametrize(
    ("colour", "message"),
    [
        ("#1d5c8", "'#1d5c8' is not a colour like \"#1d5c8c\""),
        ("blue", "'blue' is not a colour like \"#1d5c8c\""),
        (
            "#ffcc00",
            "white text on #ffcc00 has contrast 1.51:1, below the WCAG AA 4.5:1; "
            "choose a darker colour",
        ),
    ],
)
def test_bad_primary_colour(colour, message):
    text = changed('primary_color: "#1d5c8c"', f'primary_color: "{colour}"')
    assert errors_of(text) == [f"demo.yaml:15: branding.primary_color: {message}"]


@pytest.mark.parametrize(
    ("nip", "message"),
    [
        ('"7471668699"', "NIP 7471668699 has a wrong check digit (a typo?)"),
        ('"747166869"', "a NIP has 10 digits"),
        ('"74716686x8"', "a NIP has 10 digits"),
        ("7471668698", 'write the NIP in quotes, e.g. "7471668698"'),
    ],
)
def test_bad_nip(nip, message):
    assert errors_of(changed('"7471668698"', nip)) == [f"demo.yaml:11: tax_ids.nip: {message}"]


def test_bad_regon_checksum():
    assert errors_of(changed('"531686762"', '"531686763"')) == [
        "demo.yaml:11: tax_ids.regon: REGON 531686763 has a wrong check digit (a typo?)"
    ]


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("iok.demo.pl:8443", "give the host name without a port"),
        ("IOK.demo.pl", "host names must be lower-case"),
        ("https://iok.demo.pl", "give the bare host name, without a scheme such as https://"),
        ("iok.demo.pl/login", "give the bare host name, without a path"),
        ("localhost", "give a fully qualified host name such as iok.example.pl"),
        (
            "-iok.demo.pl",
            "'-iok' is not a valid DNS label (1-63 of a-z, 0-9, '-', no '-' at either end)",
        ),
        ("10.0.0.1", "give a host name, not an IP address"),
        ("iok.kuźniki.pl", "write an international host name in its xn-- (punycode) form"),
    ],
)
def test_bad_host(host, message):
    text = changed("hosts: [iok.demo.pl]", f'hosts: ["{host}"]')
    assert errors_of(text) == [f"demo.yaml:5: hosts[0]: {message}"]


def test_host_listed_twice_in_one_manifest():
    text = changed("hosts: [iok.demo.pl]", "hosts:\n  - iok.demo.pl\n  - iok.demo.pl")
    assert errors_of(text) == ["demo.yaml:7: hosts[1]: host iok.demo.pl is listed twice"]


def test_duplicate_department_key():
    text = changed("key: technical", "key: finance")
    assert errors_of(text) == [
        "demo.yaml:14: departments[1].key: department key 'finance' is used twice"
    ]


def test_department_key_pattern():
    assert errors_of(changed("key: technical", "key: Technical")) == [
        "demo.yaml:14: departments[1].key: department keys are a-z and '_' only"
    ]


def test_slug_must_be_a_subdomain_label():
    (message,) = errors_of(changed("slug: demo", "slug: -demo"))
    assert message.startswith("demo.yaml:1: slug: 2-40 characters of a-z, 0-9 and '-'")


def test_missing_regulations_text_points_at_its_parent():
    assert errors_of(changed("  text: Treść regulaminu.\n", "")) == [
        "demo.yaml:16: regulations.text: Missing data for required field."
    ]


def test_contact_needs_a_way_to_reach_the_cooperative():
    text = changed(
        '  email: biuro@demo.pl\n  phones: [{label: Biuro, number: "22 123 45 67"}]\n',
        "  fax: 22 123 45 68\n",
    )
    assert errors_of(text) == [
        "demo.yaml:8: contact: give at least one of email, phones or website"
    ]


def test_bad_email_and_phone():
    text = changed("biuro@demo.pl", "biuro-at-demo.pl").replace("22 123 45 67", "call us")
    assert errors_of(text) == [
        "demo.yaml:9: contact.email: Not a valid email address.",
        'demo.yaml:10: contact.phones[0].number: not a phone number like "77 416 42 58" '
        'or "58-629-00-16 wew. 326"',
    ]


def test_yaml_syntax_error():
    (message,) = errors_of(changed("hosts: [iok.demo.pl]", "hosts: [iok.demo.pl"))
    assert re.fullmatch(r"demo\.yaml:\d+: YAML syntax error: .+", message)


def test_key_given_twice():
    assert errors_of(VALID + "slug: other\n") == ["demo.yaml:19: slug: key given twice"]


def test_document_must_be_a_mapping():
    assert errors_of("- slug: demo\n") == [
        "demo.yaml: a manifest is a mapping of keys such as slug: and hosts:"
    ]


# --- a directory of manifests ------------------------------------------------------------------


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_slug_must_match_file_name(tmp_path):
    path = write(tmp_path, "other.yaml", VALID)
    with pytest.raises(ManifestError) as caught:
        load_manifest_dir(tmp_path)
    assert caught.value.messages == [
        f"{path}:1: slug: slug 'demo' must match the file name other.yaml"
    ]


def test_host_claimed_by_two_tenants(tmp_path):
    first = write(tmp_path, "demo.yaml", VALID)
    second = write(tmp_path, "second.yaml", changed("slug: demo", "slug: second"))
    with pytest.raises(ManifestError) as caught:
        load_manifest_dir(tmp_path)
    assert caught.value.messages == [
        f"{second}:5: hosts[0]: host iok.demo.pl is already claimed by {first}"
    ]


def test_directory_errors_are_collected_from_every_file(tmp_path):
    first = write(tmp_path, "demo.yaml", changed('"7471668698"', '"7471668699"'))
    text = changed("slug: demo", "slug: second").replace("iok.demo.pl", "IOK.second.pl")
    second = write(tmp_path, "second.yaml", text)
    write(tmp_path, "notes.txt", "not a manifest")
    with pytest.raises(ManifestError) as caught:
        load_manifest_dir(tmp_path)
    assert caught.value.messages == [
        f"{first}:11: tax_ids.nip: NIP 7471668699 has a wrong check digit (a typo?)",
        f"{second}:5: hosts[0]: host names must be lower-case",
    ]


def test_missing_directory(tmp_path):
    with pytest.raises(ManifestError) as caught:
        load_manifest_dir(tmp_path / "nope")
    assert caught.value.messages == [f"{tmp_path / 'nope'}: not a directory"]


# --- data from a web form -----------------------------------------------------------------------


def form_data() -> dict:
    return {
        "slug": "demo",
        "short_name": "SM Demo",
        "legal_name": "Spółdzielnia Mieszkaniowa Demo",
        "kind": "housing_cooperative",
        "hosts": ["iok.demo.pl"],
        "policy": "demo",
        "address": {"city": "Warszawa"},
        "contact": {"email": "biuro@demo.pl"},
        "branding": {"primary_color": "#1D5C8C", "accent_color": "#f0b429", "logo_text": "D"},
        "regulations": {"version": "1", "text": "Treść."},
    }


def test_form_data_is_validated_like_a_file():
    manifest = manifest_from_form(form_data())
    assert manifest.slug == "demo"
    assert manifest.profile["branding"]["primary_color"] == "#1d5c8c"
    assert manifest.profile["departments"] == []


def test_form_blanks_count_as_not_given():
    data = form_data() | {"address": {"street": "", "postal_code": "", "city": "Warszawa"}}
    data["regulations"] |= {"title": ""}
    manifest = manifest_from_form(data)
    assert manifest.profile["address"] == {"city": "Warszawa"}
    assert manifest.profile["regulations"]["title"].startswith("Regulamin")


def test_form_blank_required_field_is_missing():
    with pytest.raises(ManifestError) as caught:
        manifest_from_form(form_data() | {"legal_name": ""})
    assert caught.value.messages == ["form: legal_name: Missing data for required field."]


def test_form_errors_name_the_form():
    data = form_data() | {"hosts": ["iok.demo.pl:80"], "extra": 1}
    with pytest.raises(ManifestError) as caught:
        manifest_from_form(data)
    assert sorted(caught.value.messages) == [
        f"form: extra: {UNKNOWN}",
        "form: hosts[0]: give the host name without a port",
    ]
