# Shared by scripts/test.sh and scripts/demo.sh: the virtualenv and the ansible_collections layout.
# shellcheck shell=bash

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="${ESPER_VENV:-$REPO_ROOT/.venv}"
PYTHON_FOR_VENV="${ESPER_PYTHON:-python3}"

# Create (or refresh when requirements-dev.txt changed) the project's virtualenv.
ensure_venv() {
  local stamp="$VENV/.requirements-dev.sha256"
  local wanted
  wanted=$(sha256sum "$REPO_ROOT/requirements-dev.txt" | cut -d' ' -f1)
  if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    return 0
  fi
  echo "== setting up $VENV"
  "$PYTHON_FOR_VENV" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REPO_ROOT/requirements-dev.txt"
  echo "$wanted" > "$stamp"
}

# ansible-test cannot download its get-pip bootstrap here; give it the offline stand-in.
install_get_pip_standin() {
  local cache="$HOME/.ansible/test/cache"
  mkdir -p "$cache"
  cp "$REPO_ROOT/scripts/get_pip_standin.py" "$cache/get_pip_24_2.py"
}

# Copy the working tree (not .git, the virtualenv or test output) to DEST/ansible_collections/esper/mdm.
layout_collection() {
  local dest="$1"
  local target="$dest/ansible_collections/esper/mdm"
  mkdir -p "$target"
  tar -C "$REPO_ROOT" \
    --exclude=./.git --exclude=./.venv --exclude='./.venv-*' --exclude=./tests/output \
    --exclude=__pycache__ --exclude=.pytest_cache --exclude='*.tar.gz' -cf - . | tar -C "$target" -xf -
  echo "$target"
}

# ansible-test runs its version-specific sanity tests (compile, import) on every python3.X it finds on
# PATH. pyenv's shims hide the versions that are not selected, so link each installed 3.8+ into DEST.
link_pyenv_pythons() {
  local dest="$1" version minor
  mkdir -p "$dest"
  command -v pyenv > /dev/null 2>&1 || return 0
  for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(8|9|1[0-9])\.[0-9]+$'); do
    minor=${version%.*}
    if [ -x "$(pyenv root)/versions/$version/bin/python$minor" ]; then
      ln -sf "$(pyenv root)/versions/$version/bin/python$minor" "$dest/python$minor"
    fi
  done
}
