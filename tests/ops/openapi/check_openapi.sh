#!/usr/bin/env bash
# ops.openapi: the gateway's generated OpenAPI document passes a standard
# validator. Installs the validator (npm ci, pinned by package-lock.json)
# into the build directory on first use.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
bin_dir="$1"
work="$2"
mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$here/validate.mjs" "$work/"
if [[ ! -d "$work/node_modules/@seriousme/openapi-schema-validator" ]]; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
fi
"$bin_dir/gateway-openapi" >"$work/openapi.json"
node "$work/validate.mjs" "$work/openapi.json"
