"""Contact data, correction requests, and the resident's copy of their personal data."""

from flask_babel import lazy_gettext as _l

from iok_saas.features import Feature, Mount, Tab

FEATURE = Feature(
    name="contact",
    mounts=(Mount(".blueprint:bp", "/konto/dane"),
            Mount(".staff_blueprint:bp", "/staff/korekty-danych")),
    tabs=(Tab("contact", "contact.index", _l("Dane kontaktowe")),),
    desks=(Tab("contact", "contact_staff.index", _l("Korekty danych"), order=50),),
    models=".models",
    demo=".demo:seed_demo",
    demo_order=60,
    personal_data=".export:sections",
    work_queues=".queues:work_queues",
)
