#!/usr/bin/env bash
# Builds the VS Code extension into a .vsix:
#   editors/vscode/build.sh [--out FILE]     (default: falconer-VERSION.vsix here)
# npm packages only: `npm ci` (when node_modules is missing or stale), a
# type check with tsc, one esbuild bundle (dist/extension.js, with
# vscode-languageclient inside) and `vsce package --no-dependencies`.
set -euo pipefail
cd "$(dirname "$0")"

version=$(node -p 'require("./package.json").version')
out=$PWD/falconer-$version.vsix
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    *) echo "usage: $0 [--out FILE]" >&2; exit 2 ;;
  esac
done

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "== tsc --noEmit"
node_modules/.bin/tsc --noEmit -p .

echo "== esbuild → dist/extension.js"
rm -rf dist
node_modules/.bin/esbuild src/extension.ts --bundle --outfile=dist/extension.js \
  --external:vscode --format=cjs --platform=node --target=node18 --minify --log-level=warning

echo "== vsce package → $out"
mkdir -p "$(dirname "$out")"
node_modules/.bin/vsce package --no-dependencies --skip-license --out "$out" </dev/null
