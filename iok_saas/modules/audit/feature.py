"""Audit events: who did what, before and after (platform-wide and per tenant)."""

from iok_saas.features import Feature

FEATURE = Feature(name="audit", models=".models")
