"""Membership, court cases, land purchase costs and other services, with Home panels."""

from flask_babel import lazy_gettext as _l

from iok_saas.features import Feature, HomePanel, Mount, Tab

FEATURE = Feature(
    name="records",
    mounts=(Mount(".blueprint:bp", "/konto"),),
    tabs=(Tab("membership", "records.membership", _l("Członkostwo")),
          Tab("court_cases", "records.court_cases", _l("Sprawy sądowe")),
          Tab("land_costs", "records.land_costs", _l("Koszty zakupu gruntu")),
          Tab("services", "records.services", _l("Inne usługi"))),
    home_panels=(
        HomePanel("membership", "records/_home_membership.html", ".services:membership_panel"),
        HomePanel("court_cases", "records/_home_court_cases.html",
                  ".services:court_cases_panel"),
        HomePanel("land_costs", "records/_home_amounts.html", ".services:land_costs_panel"),
        HomePanel("services", "records/_home_amounts.html", ".services:services_panel")),
    models=".models",
    personal_data=".export:sections",
)
