"""Declarations of the number of occupants, and the staff desk that decides them."""

from flask_babel import lazy_gettext as _l

from iok_saas.features import Feature, Mount, Tab

FEATURE = Feature(
    name="occupants",
    mounts=(Mount(".blueprint:bp", "/konto/liczba-osob"),
            Mount(".staff_blueprint:bp", "/staff/liczba-osob")),
    tabs=(Tab("occupants", "occupants.index", _l("Liczba osób")),),
    desks=(Tab("occupants", "occupants_staff.index", _l("Liczba osób"), order=30),),
    models=".models",
    demo=".demo:seed_demo",
    demo_order=30,
    personal_data=".export:sections",
    work_queues=".queues:work_queues",
)
