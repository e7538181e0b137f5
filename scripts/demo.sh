#!/usr/bin/env bash
# The demo command: set everything up, start the Esper API simulator, run playbooks/demo.yml
# against it, and stop the simulator.
set -u -o pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

ensure_venv || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/esper-mdm-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
layout_collection "$work" > /dev/null
PATH="$VENV/bin:$PATH" exec "$VENV/bin/python" "$REPO_ROOT/scripts/run_demo.py" \
  --collections-root "$work" --playbook "$REPO_ROOT/playbooks/demo.yml" "$@"
