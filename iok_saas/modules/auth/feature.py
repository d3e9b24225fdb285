"""Passwords, server-side sessions, login attempts and lockout for every kind of user."""

from iok_saas.features import Feature

FEATURE = Feature(name="auth", models=".models", personal_data=".export:sections")
