"""Water meters, reading history with a chart, and readings residents submit."""

from flask_babel import lazy_gettext as _l

from iok_saas.features import Feature, Mount, Tab

FEATURE = Feature(
    name="meters",
    mounts=(Mount(".blueprint:bp", "/konto/wodomierze"),
            Mount(".staff_blueprint:bp", "/staff/odczyty")),
    tabs=(Tab("water_meters", "meters.index", _l("Wodomierze")),
          Tab("meter_submission", "meters.submit", _l("Podaj odczyt"))),
    desks=(Tab("meter_submission", "meters_staff.readings", _l("Odczyty"), order=10),),
    models=".models",
    demo=".demo:seed_demo",
    demo_order=20,
    personal_data=".export:sections",
    work_queues=".queues:work_queues",
)
