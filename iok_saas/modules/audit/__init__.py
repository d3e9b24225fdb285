"""Audit trail: who did what, with the state before and after."""
