"""The portal's shape: tabs per policy, Home panels, a resident's units (no pages of its
own; every feature's tabs and desks pass through it)."""

from iok_saas.features import Feature

FEATURE = Feature(name="portal")
