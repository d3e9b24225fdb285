"""The cooperative's own staff: accounts with departments and roles, per tenant."""
