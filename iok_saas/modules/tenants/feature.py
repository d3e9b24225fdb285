"""The tenant registry: manifests, hosts, sync/create/suspend."""

from iok_saas.features import Feature

FEATURE = Feature(name="tenants", models=".models", cli=".cli:tenants_cli")
