#!/usr/bin/env bash
# Set up the environment (tools/setup_env.sh) and run the test suite on all cores.
#
#   bash tools/run_tests.sh [pytest arguments]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo/tools/setup_env.sh"
cd "$repo"
exec "${MMNAS_VENV:-$repo/.venv}/bin/python" -m pytest -n "${MMNAS_TEST_WORKERS:-$(nproc)}" \
    --dist loadgroup -p no:cacheprovider "$@" tests
