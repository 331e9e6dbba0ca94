"""WSGI entry point: ``gunicorn app.wsgi:server -c deploy/gunicorn.conf.py -b :8050``.

Building the app opens nothing: each worker opens the warehouse lazily on its first request (do
not rely on ``--preload`` sharing a DuckDB connection across a fork; none is opened before it).
"""

from app.main import create_app

app = create_app()
server = app.server
