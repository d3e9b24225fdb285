"""gunicorn settings for the web nodes.

    gunicorn -c deploy/gunicorn.conf.py 'iok_saas:create_app()'
"""

import multiprocessing
import os

bind = os.environ.get("IOK_BIND", "127.0.0.1:8000")
# Sync workers: requests are short and CPU-bound (templates, Argon2 at login).
workers = int(os.environ.get("IOK_WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
max_requests = 5000          # recycle workers now and then
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("IOK_TRUSTED_PROXIES", "127.0.0.1")
accesslog = "-"
errorlog = "-"

# Prometheus: each worker writes its samples under PROMETHEUS_MULTIPROC_DIR (an empty
# directory, cleared before the service starts — see deploy/systemd/iok-web.service); a
# scrape of /metrics adds them up. A dead worker's live gauges are dropped here.


def child_exit(_server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
