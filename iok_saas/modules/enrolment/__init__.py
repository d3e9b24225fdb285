"""Enrolment and revocation applications, driven by the tenant policy's ordered steps."""
