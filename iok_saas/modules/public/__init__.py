"""Pages every visitor sees: a tenant's start page, its branding, the language switch."""
