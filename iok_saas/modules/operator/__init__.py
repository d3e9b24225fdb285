"""The platform operator's console on the admin host: tenants, onboarding, audit."""
