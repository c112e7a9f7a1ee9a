#!/bin/sh
# mypy and import-linter cannot follow setuptools' package-dir mapping through an editable
# install, so build a throwaway tree of symlinks shaped like the installed package
# (labconsole/, with widgets/ and screens/ inside) and check that. The tree is private to this
# run, so concurrent runs never pull it from under each other.
set -e
venv=$(cd "${1:-.venv}" && pwd)
root=$(pwd)
tree=$(mktemp -d "${TMPDIR:-/tmp}/labconsole-typecheck.XXXXXX")
trap 'rm -rf "$tree"' EXIT
# the benchmarks are the project's code too (they import labconsole as installed)
"$venv/bin/mypy" --config-file "$root/pyproject.toml" --cache-dir "$root/.mypy_cache" bench
mkdir -p "$tree/labconsole"
for entry in console/*; do
    ln -s "$root/$entry" "$tree/labconsole/$(basename "$entry")"
done
ln -s "$root/widgets" "$tree/labconsole/widgets"
ln -s "$root/screens" "$tree/labconsole/screens"
cd "$tree"
"$venv/bin/mypy" --config-file "$root/pyproject.toml" --cache-dir "$root/.mypy_cache" -p labconsole
PYTHONPATH="$tree" "$venv/bin/lint-imports" --config "$root/pyproject.toml"
