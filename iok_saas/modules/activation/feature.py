"""Activation codes: enrolment without an office visit (policy enrolment.activation_codes)."""

from flask_babel import lazy_gettext as _l

from iok_saas.features import Feature, Mount, Tab

FEATURE = Feature(
    name="activation",
    mounts=(Mount(".blueprint:bp"), Mount(".staff_blueprint:bp", "/staff/kody-aktywacyjne")),
    desks=(Tab("enrolment.activation_codes.enabled", "activation_staff.index",
               _l("Kody aktywacyjne"), order=80),),
    models=".models",
    personal_data=".export:sections",
    demo=".demo:seed_demo",
    demo_order=80,
)
