"""Announcements for the whole tenant or chosen buildings, e-mailed to those who opted in."""

from flask_babel import lazy_gettext as _l

from iok_saas.features import Feature, Mount, Tab

FEATURE = Feature(
    name="announcements",
    mounts=(Mount(".blueprint:bp", "/konto/ogloszenia"),
            Mount(".staff_blueprint:bp", "/staff/ogloszenia")),
    tabs=(Tab("announcements", "announcements.index", _l("Ogłoszenia")),),
    desks=(Tab("announcements", "announcements_staff.index", _l("Ogłoszenia"), order=40),),
    models=".models",
    demo=".demo:seed_demo",
    demo_order=50,
    tasks=".tasks",
    beat={"send-due-announcements": {"task": "announcements.send_due", "schedule": 60.0}},
)
