#!/usr/bin/env bash
# Test a checkpoint on several processes of this node (and of other nodes) with torchrun.
#
#   bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [test.py arguments]
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
PROCESSES=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The interpreter of tools/setup_env.sh's environment (MMNAS_VENV, default .venv), as in
# tools/demo.sh; MMNAS_PYTHON overrides it, and a plain `python` is the fallback without one.
python=${MMNAS_PYTHON:-${MMNAS_VENV:-$repo/.venv}/bin/python}
[ -x "$python" ] || python=python
PYTHONPATH="$repo:${PYTHONPATH:-}" exec "$python" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$PROCESSES" --master_port="$PORT" \
    "$repo/tools/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
