"""`mteb-lb settings` and `mteb-lb builds`: what is configured and what is published."""

from __future__ import annotations

import sys

from mteb_lb import output, settings, warehouse


def register(subparsers) -> None:
    p = subparsers.add_parser("settings", help="print every setting, its variable and value")
    p.set_defaults(func=_settings)
    p = subparsers.add_parser("builds", help="list the published builds and the current one")
    p.set_defaults(func=_builds)


def _settings(args) -> int:
    for name, env, value, help_ in settings.describe():
        print(f"{name:<18} {env:<28} {value!s:<40} {help_}")
    return 0


def builds_table():
    """The published builds, oldest first, one row each: the current one marked."""
    # deferred: heavy, loaded only when this path runs
    import pyarrow as pa

    try:
        current = warehouse.current_build()
    except warehouse.WarehouseError:
        current = None
    rows = []
    for build in warehouse.list_builds():
        manifest = warehouse.read_manifest(build)
        counts = manifest.get("row_counts") or {}
        rows.append({
            "current": "*" if current is not None and build.resolve() == current else "",
            "build": build.name,
            "built at (UTC)": str(manifest.get("built_at") or "")[:19].replace("T", " "),
            "source commit": (manifest.get("source_commit") or "")[:12],
            "files": counts.get("files"),
            "results": counts.get("scores"),
        })
    schema = pa.schema([("current", pa.string()), ("build", pa.string()),
                        ("built at (UTC)", pa.string()), ("source commit", pa.string()),
                        ("files", pa.int64()), ("results", pa.int64())])
    return pa.Table.from_pylist(rows, schema=schema), current


def _builds(args) -> int:
    table, current = builds_table()
    if table.num_rows == 0:
        print(f"error: {warehouse.no_build_message(warehouse.root())}", file=sys.stderr)
        return 2
    sys.stdout.write(output.text_table(table))
    if current is None:
        print(f"(none is current) {warehouse.no_build_message(warehouse.root())}")
    return 0
