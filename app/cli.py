"""`mteb-lb serve`: run the dashboard with Dash's development server.

For production use gunicorn: ``gunicorn app.wsgi:server -w 4 -b :8050 --timeout 60``.
"""

from __future__ import annotations

import sys

from mteb_lb import settings


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve", help="run the dashboard (development server; gunicorn app.wsgi:server in "
                      "production)")
    p.add_argument("--host", default=None,
                   help=f"address to listen on (default: setting host, {settings.get('host')})")
    p.add_argument("--port", type=int, default=None,
                   help=f"port to listen on (default: setting port, {settings.get('port')})")
    p.add_argument("--debug", action="store_true",
                   help="Dash debug mode: dev tools, callback errors in the page, hot reload")
    p.add_argument("--no-prewarm", action="store_true",
                   help="do not precompute every benchmark's summary after the first request")
    p.set_defaults(func=serve)


def serve(args) -> int:
    from mteb_lb import warehouse

    try:
        build = warehouse.current_build()
        print(f"serving build {build.name}", file=sys.stderr)
    except warehouse.WarehouseError as exc:
        print(f"warning: {exc} The pages will say so until a build is published.",
              file=sys.stderr)
    from app.main import create_app

    app = create_app(prewarm=not args.no_prewarm)
    host = args.host or settings.get("host")
    port = args.port or settings.get("port")
    app.run(host=host, port=port, debug=args.debug)
    return 0
