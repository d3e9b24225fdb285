"""The operator console on the admin host: tenants, onboarding, operators."""

from iok_saas.features import ADMIN_SITE, Feature, Mount

FEATURE = Feature(
    name="operator",
    mounts=(Mount(".blueprint:bp", "/operator", site=ADMIN_SITE),),
    models=".models",
    cli=".cli:operators_cli",
    setup=".hooks:install",
)
