"""`mteb-lb serve`: run the dashboard with waitress, a production WSGI server.

Why waitress: it is pure Python and runs on Linux, macOS and Windows alike (gunicorn needs
``fcntl``, so it does not run on Windows), and one multi-threaded process is what a dashboard for
one person or a small team needs. For several worker processes behind a proxy use gunicorn (the
``serve`` extra): ``gunicorn app.wsgi:server -w 4 --threads 4 -b :8050 --timeout 60``.
``--debug`` runs Dash's development server instead (hot reload, dev tools).
"""

from __future__ import annotations

import sys
import time

from mteb_lb import settings, warehouse

THREADS = 8   # requests served at once: a page load fires several callbacks together


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve", help="run the dashboard (waitress; gunicorn app.wsgi:server for several "
                      "worker processes)")
    p.add_argument("--host", default=None,
                   help=f"address to listen on (default: setting host, {settings.get('host')})")
    p.add_argument("--port", type=int, default=None,
                   help=f"port to listen on (default: setting port, {settings.get('port')})")
    p.add_argument("--access-log", action="store_true",
                   help="print one line per request on stderr (quiet by default)")
    p.add_argument("--debug", action="store_true",
                   help="Dash's development server in debug mode: dev tools, callback errors in "
                        "the page, hot reload")
    p.add_argument("--no-prewarm", action="store_true",
                   help="do not precompute every benchmark's summary after the first request")
    p.set_defaults(func=serve)


def serve(args) -> int:
    try:
        build = warehouse.current_build()
        print(f"serving build {build.name}", file=sys.stderr)
    except warehouse.WarehouseError as exc:
        print(f"warning: {exc} The pages will say so until a build is published.",
              file=sys.stderr)
    from app.main import create_app, ready  # deferred: Dash loads only for this command

    app = create_app(prewarm=not args.no_prewarm)
    host = args.host or settings.get("host")
    port = args.port or settings.get("port")
    if args.debug:
        app.run(host=host, port=port, debug=True)
        return 0
    # where to go: the one line a new user looks for after `bin/up`
    print(f"dashboard: http://{host}:{port}/ (Ctrl+C stops it)", file=sys.stderr, flush=True)
    import waitress  # deferred: only this command needs it

    ready(app)   # Dash's one-time setup before waitress's threads serve

    wsgi = AccessLog(app.server, sys.stderr) if getattr(args, "access_log", False) else app.server
    waitress.serve(wsgi, host=host, port=port, threads=THREADS, ident="mteb-lb")
    return 0


class AccessLog:
    """WSGI middleware writing one Common Log Format line per request (waitress logs none):
    ``127.0.0.1 - - [30/Nov/2026:01:40:15 +0000] "GET /api/health HTTP/1.1" 200 61 3ms``."""

    def __init__(self, app, stream):
        self.app, self.stream = app, stream

    def __call__(self, environ, start_response):
        started = time.monotonic()
        seen = {}

        def capture(status, headers, exc_info=None):
            seen["status"] = status.split(" ", 1)[0]
            seen["length"] = next((v for k, v in headers if k.lower() == "content-length"), "-")
            return start_response(status, headers, exc_info)

        result = self.app(environ, capture)
        path = environ.get("PATH_INFO", "") + (
            "?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        request = f'{environ.get("REQUEST_METHOD")} {path} {environ.get("SERVER_PROTOCOL")}'
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S %z")
        ms = (time.monotonic() - started) * 1000
        self.stream.write(f'{environ.get("REMOTE_ADDR", "-")} - - [{stamp}] "{request}" '
                          f'{seen.get("status", "-")} {seen.get("length", "-")} {ms:.0f}ms\n')
        self.stream.flush()
        return result
