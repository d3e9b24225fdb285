"""The cooperative staff's back office on the tenant host (/staff/…): residents, accounts,
credentials letters, blocks and colleagues. Routes only call accounts/staff services."""
