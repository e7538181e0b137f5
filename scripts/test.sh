#!/usr/bin/env bash
# The one test command: sanity, lint, changelog lint, ansible-test units, the demo on the lowest and newest
# ansible-core, galaxy-importer on the built tarball, then every pytest suite (unit, simulator, integration
# with real ansible-playbook and ansible-runner runs against the simulator). Exits non-zero on any failure.
set -u -o pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

started=$(date +%s)
ensure_venv || exit 1
install_get_pip_standin
export PATH="$VENV/bin:$PATH"

work=$(mktemp -d "${TMPDIR:-/tmp}/esper-mdm-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
collection=$(layout_collection "$work")
cd "$collection" || exit 1
failed=()

stage() {
  local name="$1"; shift
  local t0
  t0=$(date +%s)
  echo "== $name"
  if "$@"; then
    echo "== $name: passed in $(( $(date +%s) - t0 ))s"
  else
    echo "== $name: FAILED in $(( $(date +%s) - t0 ))s"
    failed+=("$name")
  fi
}

if [ "${ESPER_SKIP_SANITY:-}" != 1 ]; then
  # Every test once, and compile/import on each Python 3.8+ found (modules must run on all of them).
  link_pyenv_pythons "$work/pythons"
  stage "ansible-test sanity" env PATH="$VENV/bin:$work/pythons:$PATH" ansible-test sanity --venv --color no
fi
stage "ansible-lint (production profile)" env ANSIBLE_COLLECTIONS_PATH="$work" ansible-lint --profile production --offline
stage "changelog lint" antsibull-changelog lint
# ansible-test's own unit runner on tests/unit, in its virtualenv with tests/unit/requirements.txt.
stage "ansible-test units" ansible-test units --venv --color no \
  --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ "${ESPER_SKIP_CORE_RANGE:-}" != 1 ]; then
  # The supported ansible-core range (meta/runtime.yml): its lowest and the newest that installs, each in .venv-core*.
  stage "demo on ${CORE_LOWEST[2]} (python${CORE_LOWEST[1]})" smoke_core_release "$work" "${CORE_LOWEST[@]}"
  stage "demo on ${CORE_NEWEST[2]} (python${CORE_NEWEST[1]})" smoke_core_release "$work" "${CORE_NEWEST[@]}"
fi
stage "galaxy-importer (no warnings)" galaxy_importer_check "$collection"
# pytest last, so its summary line closes the output.
stage "pytest (unit, simulator, integration)" env PYTHONPATH="$work" ANSIBLE_COLLECTIONS_PATH="$work" \
  ESPER_TEST_COLLECTIONS_ROOT="$work" python -m pytest -p no:cacheprovider --import-mode=importlib \
  -o console_output_style=classic -ra tests/unit tests/simulator tests/integration "$@"

echo "== total time: $(( $(date +%s) - started ))s"
if [ ${#failed[@]} -gt 0 ]; then
  printf '== failed stages: %s\n' "${failed[*]}"
  exit 1
fi
echo "== all stages passed"
