"""Paperless charge notices, declared for the feature registry."""

from flask_babel import lazy_gettext as _l

from iok_saas.features import Feature, Mount, Tab

FEATURE = Feature(
    name="notices",
    mounts=(Mount(".blueprint:bp", "/konto/zawiadomienia"),
            Mount(".staff_blueprint:bp", "/staff/zawiadomienia")),
    tabs=(Tab("charge_notices", "notices.index", _l("Zawiadomienia o opłatach")),),
    desks=(Tab("charge_notices", "notices_staff.index", _l("Zawiadomienia"), order=70),),
    tab_keys=("charge_notices",),
    models=".models",
    demo=".demo:seed_demo",
    demo_order=70,
    tasks=".tasks",
    beat={"send-pending-notices": {"task": "notices.send_pending", "schedule": 60.0}},
    cli=".cli:notices_cli",
)
