"""Tenants: who a cooperative is (manifests in tenants/) and how it is found by host."""
