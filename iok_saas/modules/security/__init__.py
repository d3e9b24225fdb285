"""What a resident sees of their own security: sign-in history, open sessions, e-mails on
sign-in from a new device and on security changes, with a link to block the account."""
