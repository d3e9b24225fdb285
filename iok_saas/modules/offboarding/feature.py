"""Tenant offboarding on the operator console: export, scheduled deletion, restore."""

from iok_saas.features import ADMIN_SITE, Feature, Mount

FEATURE = Feature(
    name="offboarding",
    mounts=(Mount(".blueprint:bp", "/operator", site=ADMIN_SITE),),
    cli=".cli:offboarding_cli",
    tasks=".tasks",
    beat={"purge-offboarded-tenants": {"task": "offboarding.purge_due", "schedule": 3600.0}},
)
