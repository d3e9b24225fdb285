"""The second sign-in factor: TOTP codes, one-time recovery codes and remembered devices."""
