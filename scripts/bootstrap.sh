# Shared by ./mre and ./test: make .venv beside the checkout and install MRE into it (once, and
# again whenever pyproject.toml changes). Sourced with $here (the checkout) and $extras set.
set -euo pipefail
python="${MRE_PYTHON:-python3}"
venv="$here/.venv"
stamp="$venv/.mre-installed${extras:+-test}"
if ! command -v "$python" >/dev/null 2>&1; then
  echo "mre: $python not found; install Python 3.11 or newer (or set MRE_PYTHON to one)" >&2
  exit 2
fi
if ! version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)"; then
  echo "mre: could not run $python; install Python 3.11 or newer (or set MRE_PYTHON to one)" >&2
  exit 2
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "mre: $python is Python $version; MRE needs 3.11 or newer (set MRE_PYTHON to one)" >&2
  exit 2
fi
if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -m venv "$venv" >/dev/null 2>"$here/.venv-error.log"; then
    rm -rf "$venv"
    echo "mre: could not create $venv with '$python -m venv' (see .venv-error.log);" \
         "on Debian/Ubuntu install it with: apt-get install python3-venv" >&2
    exit 2
  fi
  rm -f "$here/.venv-error.log"
fi
if [ ! -f "$stamp" ] || [ "$here/pyproject.toml" -nt "$stamp" ]; then
  echo "mre: installing into $venv (first run only; about a minute)" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$here$extras" >&2
  touch "$stamp"
fi
