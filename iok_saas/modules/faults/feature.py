"""Fault reports with a photo, the staff desk, and the status history."""

from flask_babel import lazy_gettext as _l

from iok_saas.features import Feature, Mount, Tab

FEATURE = Feature(
    name="faults",
    mounts=(Mount(".blueprint:bp", "/konto/usterki"),
            Mount(".staff_blueprint:bp", "/staff/usterki")),
    tabs=(Tab("faults", "faults.index", _l("Zgłoszenia usterek")),),
    desks=(Tab("faults", "faults_staff.index", _l("Usterki"), order=20),),
    models=".models",
    demo=".demo:seed_demo",
    demo_order=40,
    personal_data=".export:sections",
    work_queues=".queues:work_queues",
)
