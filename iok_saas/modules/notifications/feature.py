"""The transactional outbox: e-mail delivery by Celery, the demo mailbox, staff call tasks."""

import os

from iok_saas.features import ADMIN_SITE, Feature, Mount

FEATURE = Feature(
    name="notifications",
    mounts=(Mount(".blueprint:bp", "/operator/poczta", site=ADMIN_SITE),),
    models=".models",
    personal_data=".export:sections",
    tasks=".tasks",
    beat={"sweep-outbox": {
        "task": "notifications.sweep_outbox",
        "schedule": float(os.environ.get("IOK_OUTBOX_SWEEP_SECONDS", "30"))}},
)
