#!/usr/bin/env bash
# Train on several processes of this node (and of other nodes) with torchrun.
#
#   bash tools/dist_train.sh CONFIG NUM_PROCESSES [train.py arguments]
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=10.0.0.1 bash tools/dist_train.sh CONFIG 8   # node 0
set -euo pipefail
CONFIG=$1
PROCESSES=$2
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
    "$repo/tools/train.py" "$CONFIG" --launcher pytorch "${@:3}"
