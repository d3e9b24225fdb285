"""Resident accounts: identifiers, credentials, states, blocks, recovery — all per policy."""
