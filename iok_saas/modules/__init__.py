"""The features, one package each (see iok_saas.features for how they are found)."""

# Every tenant table's tenant_id is a key to the platform's `tenant` table, and a
# relationship along a co-located key (tenant_id, x_id) resolves that key when the mappers
# are configured, which a loader option built at import time already does. Registering
# `tenant` with the first feature imported keeps any import order working.
from .tenants import models as _tenant_registry  # noqa: F401
