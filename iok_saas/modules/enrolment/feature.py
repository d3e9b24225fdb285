"""Applications for access: filing, e-mail confirmation, the staff queue, pickup."""

from iok_saas.features import Feature, Mount

FEATURE = Feature(
    name="enrolment",
    mounts=(Mount(".blueprint:bp"), Mount(".staff_blueprint:bp", "/staff/wnioski")),
    models=".models",
    personal_data=".export:sections",
    work_queues=".queues:work_queues",
)
