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

# The ansible-core releases the test command runs the demo on, each in its own cached virtualenv: the lowest
# that meta/runtime.yml allows (requires_ansible >=2.16.0) and the newest that installs here, each under a
# Python it supports as a controller. The collection's own requirements come from the same pins as .venv.
# shellcheck disable=SC2034  # used by scripts/test.sh
CORE_LOWEST=(.venv-core216 3.11 ansible-core==2.16.0)
# shellcheck disable=SC2034  # used by scripts/test.sh
CORE_NEWEST=(.venv-core221 3.13 ansible-core==2.21.5)
COLLECTION_PYTHON_REQUIREMENTS=(cryptography==50.0.2)  # requirements.txt: HTTP needs no library
# galaxy-importer pins older attrs and flake8 than the dev tools, so it gets a virtualenv of its own.
IMPORTER=(.venv-importer 3.11 galaxy-importer==0.4.44)

# Print the path of python3.X: a pyenv-installed one (pyenv's shims hide versions that are not selected) or one on PATH.
find_python() {
  local minor="$1" version
  if command -v pyenv > /dev/null 2>&1; then
    version=$(pyenv versions --bare 2>/dev/null | grep -E "^${minor//./\\.}\.[0-9]+$" | sort -V | tail -1)
    if [ -n "$version" ] && [ -x "$(pyenv root)/versions/$version/bin/python$minor" ]; then
      echo "$(pyenv root)/versions/$version/bin/python$minor"
      return 0
    fi
  fi
  if command -v "python$minor" > /dev/null 2>&1 && "python$minor" -c '' 2> /dev/null; then
    command -v "python$minor"
    return 0
  fi
  return 1
}

# ensure_extra_venv NAME PYTHON_MINOR PIP_REQUIREMENT...: a cached virtualenv REPO_ROOT/NAME (git and the tarball
# ignore .venv-*), made again when its Python or requirements change. Prints nothing when it is up to date.
ensure_extra_venv() {
  local dir="$REPO_ROOT/$1" minor="$2" python wanted
  shift 2
  wanted=$(printf '%s\n' "$minor" "$@" | sha256sum | cut -d' ' -f1)
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.requirements.sha256" 2> /dev/null)" = "$wanted" ]; then
    return 0
  fi
  python=$(find_python "$minor") || { echo "python$minor is not installed (pyenv install $minor)" >&2; return 1; }
  echo "== setting up $dir ($python; $*)"
  rm -rf "$dir"
  "$python" -m venv "$dir" &&
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@" &&
    echo "$wanted" > "$dir/.requirements.sha256"
}

# smoke_core_release COLLECTIONS_ROOT VENV_NAME PYTHON_MINOR ANSIBLE_CORE_SPEC (one of CORE_LOWEST, CORE_NEWEST):
# ansible-doc of every module and inventory plugin, then the demo playbook against the simulator, on that
# ansible-core. Prints the versions and the play recap; the whole log only on failure.
smoke_core_release() {
  local root="$1" venv="$REPO_ROOT/$2" log status=0 fqcns=() plugins=() path
  shift
  ensure_extra_venv "$@" "${COLLECTION_PYTHON_REQUIREMENTS[@]}" || return 1
  for path in "$root"/ansible_collections/esper/mdm/plugins/modules/*.py; do
    fqcns+=("esper.mdm.$(basename "$path" .py)")
  done
  for path in "$root"/ansible_collections/esper/mdm/plugins/inventory/*.py; do
    [ -e "$path" ] && plugins+=("esper.mdm.$(basename "$path" .py)")
  done
  log=$(mktemp)
  # The whole output first: ansible-core 2.21 prints a traceback when head closes the pipe early.
  "$venv/bin/ansible" --version > "$log" 2>&1
  head -n 1 "$log"
  "$venv/bin/python" --version
  ANSIBLE_COLLECTIONS_PATH="$root" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false \
    "$venv/bin/ansible-doc" -t module "${fqcns[@]}" > "$log" 2>&1 || status=1
  if [ $status = 0 ] && [ ${#plugins[@]} -gt 0 ]; then
    ANSIBLE_COLLECTIONS_PATH="$root" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false \
      "$venv/bin/ansible-doc" -t inventory "${plugins[@]}" >> "$log" 2>&1 || status=1
  fi
  if [ $status = 0 ]; then
    "$venv/bin/python" "$REPO_ROOT/scripts/run_demo.py" --collections-root "$root" \
      --playbook "$root/ansible_collections/esper/mdm/playbooks/demo.yml" >> "$log" 2>&1 || status=1
  fi
  if [ $status = 0 ]; then
    grep -A1 '^PLAY RECAP' "$log" | tail -n 1
  else
    tail -n 60 "$log"
  fi
  rm -f "$log"
  return $status
}

# galaxy_importer_check COLLECTION_DIR: build the tarball and run galaxy-importer (as Galaxy does on upload, with
# its ansible-doc and ansible-lint checks) on it; fails on an error or any warning.
galaxy_importer_check() {
  local collection="$1" out status=0
  ensure_extra_venv "${IMPORTER[@]}" || return 1
  out=$(mktemp -d)
  "$VENV/bin/ansible-galaxy" collection build "$collection" --output-path "$out" > /dev/null || { rm -rf "$out"; return 1; }
  (cd "$out" && PATH="$REPO_ROOT/${IMPORTER[0]}/bin:$PATH" "$REPO_ROOT/${IMPORTER[0]}/bin/python" -m galaxy_importer.main \
    "$out"/esper-mdm-*.tar.gz) > "$out/importer.log" 2>&1 || status=1
  if grep -E '^(WARNING|ERROR)' "$out/importer.log"; then
    status=1
  fi
  grep -v '^Loading ' "$out/importer.log"
  rm -rf "$out"
  return $status
}
