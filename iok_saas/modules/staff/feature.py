"""Staff accounts and sign-in (the first administrator is created by the operator)."""

from iok_saas.features import Feature, Mount

FEATURE = Feature(
    name="staff",
    mounts=(Mount(".blueprint:bp", "/staff"),),
    models=".models",
    setup=".hooks:install",
)
