#!/usr/bin/env bash
# Print a Python interpreter new enough for Django 6 (3.12 or later), or explain how to get one.
set -u
if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; exit 0; fi
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }
for candidate in python3.14 python3.13 python3.12 python3; do
  path=$(command -v "$candidate" 2>/dev/null) && ok "$path" && { echo "$path"; exit 0; }
done
for path in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python /root/.pyenv/versions/3.1[2-9]*/bin/python \
            /usr/local/bin/python3.1[2-9] /opt/python*/bin/python3; do
  [ -x "$path" ] && ok "$path" && { echo "$path"; exit 0; }
done
if command -v uv >/dev/null 2>&1; then
  path=$(uv python find '>=3.12' 2>/dev/null) && ok "$path" && { echo "$path"; exit 0; }
fi
cat >&2 <<'MSG'
Open NRM runs on Django 6, which needs Python 3.12 or newer, and none was found.
Install one, then run the command again:
  - Debian 13 / Ubuntu 24.04: apt-get install python3.12 python3.12-venv
  - pyenv: pyenv install 3.12
  - or point at one you have: make PYTHON=/path/to/python3.12 ...
MSG
exit 1
