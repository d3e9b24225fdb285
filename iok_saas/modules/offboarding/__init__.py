"""Tenant offboarding: export, deletion after a grace period, restore into a fresh tenant."""
