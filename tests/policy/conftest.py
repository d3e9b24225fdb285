"""Shipped policies name feature tab keys (e.g. charge_notices): load the feature registry
as the app and `flask policy check` do before any policy is compiled here."""

import pytest

from iok_saas.features import load_features


@pytest.fixture(autouse=True, scope="session")
def _feature_tabs():
    load_features()
