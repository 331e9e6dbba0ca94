"""`mteb-lb settings` and `mteb-lb builds`: what is configured and what is published."""

from __future__ import annotations

import json

from mteb_lb import settings, warehouse


def register(subparsers) -> None:
    p = subparsers.add_parser("settings", help="print every setting, its variable and value")
    p.set_defaults(func=_settings)
    p = subparsers.add_parser("builds", help="list the published builds and the current one")
    p.set_defaults(func=_builds)


def _settings(args) -> int:
    for name, env, value, help_ in settings.describe():
        print(f"{name:<18} {env:<28} {value!s:<40} {help_}")
    return 0


def _builds(args) -> int:
    try:
        current = warehouse.current_build()
    except warehouse.WarehouseError:
        current = None
    for build in warehouse.list_builds():
        manifest = warehouse.read_manifest(build)
        mark = "*" if current is not None and build.resolve() == current else " "
        print(f"{mark} {build.name}  source_commit={manifest.get('source_commit')}  "
              f"rows={json.dumps(manifest.get('row_counts', {}))}")
    if current is None:
        print("no published build")
    return 0
