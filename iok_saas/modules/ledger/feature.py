"""Balance and statement per unit and month, PDF/CSV, and the transfer QR code."""

from flask_babel import lazy_gettext as _l

from iok_saas.features import Feature, HomePanel, Mount, Tab

FEATURE = Feature(
    name="ledger",
    mounts=(Mount(".blueprint:bp", "/konto/saldo"),),
    tabs=(Tab("ledger", "ledger.index", _l("Saldo rozrachunków")),),
    home_panels=(HomePanel("ledger", "ledger/_home_panel.html", ".services:home_panel"),),
    models=".models",
)
