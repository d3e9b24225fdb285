"""The document library: PDF documents with versions for chosen audiences (issue 17 §1)."""

from flask_babel import lazy_gettext as _l

from iok_saas.features import Feature, Mount, Tab

FEATURE = Feature(
    name="documents",
    mounts=(Mount(".blueprint:bp", "/konto/dokumenty"),
            Mount(".staff_blueprint:bp", "/staff/dokumenty"),
            Mount(".public_blueprint:bp", "/dokumenty")),
    tabs=(Tab("documents", "documents.index", _l("Dokumenty")),),
    desks=(Tab("documents", "documents_staff.index", _l("Dokumenty"), order=60),),
    tab_keys=("documents",),
    models=".models",
    demo=".demo:seed_demo",
    demo_order=60,
    tasks=".tasks",
    beat={"send-due-document-notices": {"task": "documents.send_due", "schedule": 300.0}},
)
