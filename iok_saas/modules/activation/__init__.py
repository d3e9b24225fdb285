"""Activation codes: a resident registers online with a one-time code printed for them."""
