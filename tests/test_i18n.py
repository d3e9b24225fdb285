"""Language choice (Polish by default, English on request) and the English catalogue."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from iok_saas.config import REPO_ROOT
from iok_saas.i18n import LANGUAGE_COOKIE

HOST = "brzeg.localhost"
EN_PO = REPO_ROOT / "iok_saas" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def _html(client, path: str = "/") -> str:
    page = client.get(path)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _switch(client, code: str, next_url: str | None = "/"):
    query = {} if next_url is None else {"next": next_url}
    return client.get(f"/lang/{code}", query_string=query)


def test_start_page_is_polish_by_default(synced, host_client):
    html = _html(host_client(HOST))
    assert '<html lang="pl">' in html
    assert "Jak uzyskać dostęp" in html
    assert "How to get access" not in html


def test_switching_to_english_sets_the_cookie_and_translates_the_page(synced, host_client):
    client = host_client(HOST)
    response = _switch(client, "en")
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", f"http://{HOST}/")
    cookie = client.get_cookie(LANGUAGE_COOKIE, domain=HOST)
    assert cookie is not None and cookie.value == "en"

    html = _html(client)
    assert '<html lang="en">' in html
    assert "How to get access" in html
    assert "Jak uzyskać dostęp" not in html


def test_switching_back_to_polish(synced, host_client):
    client = host_client(HOST)
    _switch(client, "en")
    assert '<html lang="en">' in _html(client)

    response = _switch(client, "pl")
    assert response.status_code == 302
    html = _html(client)
    assert '<html lang="pl">' in html
    assert "Jak uzyskać dostęp" in html


@pytest.mark.parametrize("unsafe", [
    "//evil.example/",
    "https://evil.example/",
    "http://evil.example/",
    "/\\evil.example/",
    "evil.example",
    "",
])
def test_unsafe_next_redirects_to_the_start_page_on_the_same_host(synced, host_client, unsafe):
    response = _switch(host_client(HOST), "en", unsafe)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location in ("/", f"http://{HOST}/")
    assert "evil" not in location


def test_missing_next_redirects_to_the_start_page(synced, host_client):
    response = _switch(host_client(HOST), "en", None)
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", f"http://{HOST}/")


def test_safe_next_is_kept(synced, host_client):
    response = _switch(host_client(HOST), "en", "/regulamin")
    assert response.status_code == 302
    assert response.headers["Location"] in ("/regulamin", f"http://{HOST}/regulamin")


@pytest.mark.parametrize("code", ["de", "xx", "EN"])
def test_unknown_language_leaves_the_choice_unchanged(synced, host_client, code):
    client = host_client(HOST)
    response = _switch(client, code)
    assert response.status_code == 302
    assert client.get_cookie(LANGUAGE_COOKIE, domain=HOST) is None
    assert '<html lang="pl">' in _html(client)

    _switch(client, "en")
    _switch(client, code)
    assert client.get_cookie(LANGUAGE_COOKIE, domain=HOST).value == "en"
    assert '<html lang="en">' in _html(client)


def _english_catalog():
    with EN_PO.open("rb") as f:
        return read_po(f, locale="en")


def test_every_message_has_an_english_translation():
    catalog = _english_catalog()
    assert not catalog.fuzzy, "remove the '#, fuzzy' flag from the catalogue header"
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, "untranslated messages in en/messages.po:\n" + "\n".join(
        map(str, untranslated))
    assert not fuzzy, "fuzzy messages in en/messages.po:\n" + "\n".join(map(str, fuzzy))


def test_english_translations_keep_the_placeholders():
    problems = [f"{message.id!r}: {'; '.join(map(str, errors))}"
                for message, errors in _english_catalog().check()]
    assert not problems, "\n".join(problems)


def test_templates_follow_force_locale_inside_an_english_request(app):
    """Template translations are kept per request, but an e-mail rendered in the tenant's
    language (force_locale) while the page is English still comes out Polish."""
    from flask import render_template_string
    from flask_babel import force_locale

    template = "{{ _('Saldo rozrachunków') }}|{{ ngettext('%(num)s dzień', '%(num)s dni', 1) }}"
    with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}=en"}):
        before = render_template_string(template)
        with force_locale("pl"):
            polish = render_template_string(template)
        after = render_template_string(template)
    assert polish.startswith("Saldo rozrachunków|")
    assert before == after
    assert not before.startswith("Saldo rozrachunków")


def test_the_money_filter_follows_the_language_of_each_render(app):
    """|money takes the language from the render's context: Polish, English, and Polish
    again for a template rendered under force_locale inside an English request."""
    from decimal import Decimal

    from flask import render_template_string
    from flask_babel import force_locale

    template = "{{ amount|money }}"
    amount = Decimal("-1234.5")
    with app.test_request_context():
        assert render_template_string(template, amount=amount) == "-1\u00a0234,50\u00a0zł"
    with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}=en"}):
        assert render_template_string(template, amount=amount) == "-PLN1,234.50"
        with force_locale("pl"):
            assert render_template_string(template, amount=amount) == "-1\u00a0234,50\u00a0zł"


def test_translated_labels_are_kept_per_language(app):
    from iok_saas.i18n import translated
    from iok_saas.modules.ledger.services import KIND_LABELS

    with app.test_request_context():
        assert translated(KIND_LABELS)["payment"] == "wpłata"
    with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}=en"}):
        english = translated(KIND_LABELS)
        assert english["payment"] != "wpłata" and english["payment"] == str(KIND_LABELS["payment"])
        assert translated(dict(KIND_LABELS)) == english  # another map: translated on its own


def test_template_underscore_keeps_jinjas_new_style_rules(app):
    """The one-function ``_()`` answers exactly as Jinja's own new-style ``gettext()``
    (still installed): variables escaped, the translation not escaped twice, "%%" a
    percent sign, the page's language."""
    from flask import render_template_string

    calls = ['("Telefon")', '("%(n)s & %(m)s", n="<b>", m=1)', '("100%% wpłat")',
             '("Saldo na dzień %(date)s", date="1.11.2026")']
    for cookie in ("pl", "en"):
        with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}={cookie}"}):
            for call in calls:
                ours = render_template_string("{{ _" + call + " }}")
                assert ours == render_template_string("{{ gettext" + call + " }}"), call
            assert render_template_string('{{ _("%(n)s &", n="<b>") }}') == "&lt;b&gt; &"
            assert render_template_string('{{ _("100%% wpłat") }}') == "100% wpłat"
            telefon = render_template_string('{{ _("Telefon") }}')
            assert telefon == ("Telefon" if cookie == "pl" else "Phone")


class _WithOwnUnderscore:
    def _(self, text):
        return f"own {text}"


def test_compiled_underscore_renders_as_gettext_in_every_setting(app):
    """``_("…")`` is compiled to filters (i18n.TemplateTexts). It still answers as Jinja's
    ``gettext()`` without autoescaping, for a variable's text, nested, in a macro imported
    without context (which has no render context of its own), and leaves a method that
    happens to be called ``_`` alone."""
    from flask import render_template_string

    plain = ('{% autoescape false %}{{ _("Telefon") }}|{{ _("%(n)s &", n="<b>") }}'
             '|{{ _("100%% wpłat") }}{% endautoescape %}')
    nested = '{{ _("Zgłoś to: %(department)s.", department=_("Telefon")) }}'
    for cookie, phone in (("pl", "Telefon"), ("en", "Phone")):
        with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}={cookie}"}):
            assert render_template_string(plain) == f"{phone}|<b> &|100% wpłat"
            assert render_template_string(plain.replace("_(", "gettext(")) == (
                f"{phone}|<b> &|100% wpłat")
            assert render_template_string('{{ _(text) }}', text="Telefon") == phone
            assert render_template_string(nested) == render_template_string(
                '{{ gettext("Zgłoś to: %(department)s.", department=gettext("Telefon")) }}')
            assert phone in render_template_string(nested)
            assert render_template_string('{{ obj._("Telefon") }}',
                                          obj=_WithOwnUnderscore()) == "own Telefon"
            audit = render_template_string(
                '{% from "macros/audit.html" import audit_table %}{{ audit_table([]) }}')
            assert ("When" if cookie == "en" else "Kiedy") in audit
