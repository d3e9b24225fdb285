"""The baseline for bench/web.py: the smallest Flask app, served by the same gunicorn settings.

Its throughput is what this machine, gunicorn and Flask can do with no application work at
all, so the real app's figures are read as a fraction of it rather than in absolute terms.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> tuple[str, int, dict[str, str]]:
    return "hello\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
