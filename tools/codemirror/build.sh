#!/usr/bin/env bash
# Rebuild app/assets/sql_editor.bundle.js, the SQL console's code editor (CodeMirror 6), from
# entry.js with the exact versions of package-lock.json:
#   tools/codemirror/build.sh
# Needs node and npm (Debian: apt-get install nodejs npm); users of the dashboard do not: the
# bundle is committed. The output is deterministic for a given lock file.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run --silent build   # esbuild, as package.json's "build" script says
