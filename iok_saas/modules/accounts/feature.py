"""Resident accounts: sign-in, first login, blocks, recovery, the Home page."""

from flask_babel import lazy_gettext as _l

from iok_saas.features import Feature, Mount, Tab

FEATURE = Feature(
    name="accounts",
    mounts=(Mount(".blueprint:bp"),),
    tabs=(Tab("home", "accounts.dashboard", _l("Strona główna")),),
    models=".models",
    personal_data=".export:sections",
    setup=".hooks:install",
)
