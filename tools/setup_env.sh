#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment in .venv and install mmnas into it.
#
#   bash tools/setup_env.sh            # runtime + test requirements
#
# Idempotent: a second run on the same machine checks a stamp of the requirement files and
# returns in seconds when nothing changed. mmcv 2.1.0 has no wheel for torch 2.11 on PyPI, so
# when no mmcv wheel is on pip's find-links it is compiled once (about 15 minutes on 2 cores)
# against the installed torch and the wheel is kept in $MMNAS_WHEEL_CACHE for the next set-up.
#
# Environment:
#   MMNAS_VENV         where the virtual environment lives (default: <repo>/.venv)
#   MMNAS_WHEEL_CACHE  where the compiled mmcv wheel is kept (default: ~/.cache/mmnas/wheels)
#   PYTHON             the interpreter that creates the environment (default: python3)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${MMNAS_VENV:-$repo/.venv}
cache=${MMNAS_WHEEL_CACHE:-$HOME/.cache/mmnas/wheels}
python=${PYTHON:-python3}
mmcv_version=2.1.0

say() { printf '[setup_env] %s\n' "$*"; }

stamp_of() {
    cat "$repo"/requirements/*.txt "$repo/pyproject.toml" "$repo/setup.py" "$repo/tools/setup_env.sh" \
        | sha256sum | cut -d' ' -f1
}

stamp_file=$venv/.mmnas-setup-stamp
if [ -x "$venv/bin/python" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$(stamp_of)" ]; then
    say "environment $venv is up to date"
    exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
    say "creating $venv with $("$python" --version)"
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip)
mkdir -p "$cache"
# The cache goes first so that a wheel built here earlier wins over building again.
export PIP_FIND_LINKS="$cache ${PIP_FIND_LINKS:-}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

say "installing the build requirements (torch, torchvision, setuptools<70)"
"${pip[@]}" install -q -r "$repo/requirements/build.txt"

if ! "$venv/bin/python" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$mmcv_version'" 2>/dev/null; then
    # Try every find-links folder (ours and the caller's) without touching the index.
    if "${pip[@]}" install -q --no-index --no-deps "mmcv==$mmcv_version" 2>/dev/null; then
        say "mmcv $mmcv_version installed from a local wheel"
    else
        say "no mmcv $mmcv_version wheel found: compiling it with its ops (about 15 minutes)"
        # No build isolation: the ops must be compiled against the torch installed above.
        MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
            "${pip[@]}" wheel -q --no-build-isolation --no-deps -w "$cache" "mmcv==$mmcv_version"
        "${pip[@]}" install -q --no-index --no-deps "mmcv==$mmcv_version"
        say "mmcv wheel kept in $cache"
    fi
fi

say "installing the OpenMMLab stack, the test requirements, openmim and mmnas (editable)"
"${pip[@]}" install -q -r "$repo/requirements/mminstall.txt" -r "$repo/requirements/runtime.txt" \
    -r "$repo/requirements/tests.txt" -r "$repo/requirements/mim.txt" \
    -c "$repo/requirements/build.txt"
"${pip[@]}" install -q --no-deps openmim==0.3.9
# A develop-mode editable install (see setup.py) so that `mim train mmnas ...` finds mmnas/.mim.
SETUPTOOLS_ENABLE_FEATURES=legacy-editable \
    "${pip[@]}" install -q --no-build-isolation --no-deps -e "$repo"

# The whole stack must still import after openmim.
"$venv/bin/python" -c "import mmcv.ops, mmseg.models, mmdet3d.models, mmpose.models, \
mmpretrain.models, mmeval, mim, mmnas"
stamp_of > "$stamp_file"
say "done: $venv"
