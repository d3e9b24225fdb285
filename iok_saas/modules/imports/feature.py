"""The import format and its one path: back office desk, `flask imports`, the REST API."""

from flask_babel import lazy_gettext as _l

from iok_saas.features import ALWAYS, Feature, Mount, Tab

FEATURE = Feature(
    name="imports",
    mounts=(Mount(".staff_blueprint:bp", "/staff/import"), Mount(".api:bp", "/api/v1")),
    desks=(Tab(ALWAYS, "imports_staff.index", _l("Import danych"), order=90),),
    models=".models",
    demo=".demo:seed_demo",
    demo_order=10,  # ledgers, meters and records arrive through the import first
    writes_housing=True,
    cli=".cli:imports_cli",
    work_queues=".queues:work_queues",
)
