"""URLs built through the memoizing map are the URLs Werkzeug builds, whatever the site."""

from __future__ import annotations

from flask import url_for
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Map, Rule

from iok_saas.routing import MemoizedBuildMap

RULES = [Rule("/", endpoint="start"), Rule("/konto/usterki/<int:fault_id>", endpoint="fault"),
         Rule("/konto/saldo/", endpoint="ledger")]
CALLS = [
    ("start", {}), ("fault", {"fault_id": 7}), ("fault", {"fault_id": 8}),
    ("ledger", {"unit": 3, "month": "2026-10"}), ("ledger", {"month": "2026-10", "unit": 3}),
    ("ledger", {"flag": True}), ("ledger", {"flag": 1}), ("ledger", {"unit": None}),
    ("ledger", {"unit": [1, 2]}), ("ledger", MultiDict([("unit", 1), ("unit", 2)])),
]
SITES = [("brzeg.localhost", "/", "http"), ("kuzniki.localhost", "/", "https"),
         ("brzeg.localhost", "/iok", "http")]


def _both(site):
    server, script, scheme = site
    plain, memo = Map([r.empty() for r in RULES]), MemoizedBuildMap([r.empty() for r in RULES])
    return (plain.bind(server, script, url_scheme=scheme),
            memo.bind(server, script, url_scheme=scheme), memo)


def test_memoized_urls_equal_werkzeugs_on_every_site_twice():
    for site in SITES:
        plain, memo, _ = _both(site)
        for _ in range(2):  # the second round answers from the memo
            for endpoint, values in CALLS:
                for external in (False, True):
                    expected = plain.build(endpoint, values, force_external=external)
                    assert memo.build(endpoint, values, force_external=external) == expected
    assert _both(SITES[0])[1].build("ledger", {"flag": True}) == "/konto/saldo/?flag=True"


def test_a_new_rule_empties_the_memo():
    plain, memo, memo_map = _both(SITES[0])
    memo.build("fault", {"fault_id": 1})
    assert memo_map.built_urls
    memo_map.add(Rule("/nowa", endpoint="new"))
    assert not memo_map.built_urls


def test_the_app_builds_urls_through_the_memo(app):
    with app.test_request_context("/", base_url="http://brzeg.localhost"):
        assert url_for("ledger.index", unit=5, month="2026-10") == (
            "/konto/saldo/?unit=5&month=2026-10")
        assert url_for("ledger.index", month="2026-10", unit=5) == (
            "/konto/saldo/?month=2026-10&unit=5")  # the order given, as Werkzeug keeps it
        assert url_for("ledger.index", _external=True).startswith("http://brzeg.localhost/")
    assert app.url_map.built_urls
