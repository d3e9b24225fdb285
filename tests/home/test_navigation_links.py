"""One way to each place: where the policy has a Home tab (Gdynia, Siarkowiec), it is the
account's start page and the header does not link to it a second time as "Moje konto"."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("slug", "home_tab"), [("gdynia", True), ("kuzniki", False)])
def test_the_account_start_page_is_linked_once(resident_client, slug, home_tab):
    client, _resident = resident_client(slug)
    page = client.get("/konto").get_data(as_text=True)
    links = page.count('href="/konto"')
    assert links == 1, page
    assert ("Strona główna" in page) is home_tab
    assert (">Moje konto</a>" in page) is not home_tab
