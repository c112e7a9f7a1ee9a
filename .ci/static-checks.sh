#!/bin/sh
# mypy and import-linter cannot follow setuptools' package-dir mapping through an editable
# install, so build a throwaway tree of symlinks shaped like the installed package
# (labconsole/, with widgets/ and screens/ inside) and check that.
set -e
venv=$(cd "${1:-.venv}" && pwd)
rm -rf .typecheck
mkdir -p .typecheck/labconsole
for entry in console/*; do
    ln -s "../../$entry" ".typecheck/labconsole/$(basename "$entry")"
done
ln -s ../../widgets .typecheck/labconsole/widgets
ln -s ../../screens .typecheck/labconsole/screens
cd .typecheck
"$venv/bin/mypy" --config-file ../pyproject.toml -p labconsole
PYTHONPATH=. "$venv/bin/lint-imports" --config ../pyproject.toml
