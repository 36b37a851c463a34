#!/usr/bin/env bash
# Train on a slurm cluster: one task per GPU, mmengine's slurm launcher.
#
#   GPUS=16 GPUS_PER_NODE=8 bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR]
#       [train.py arguments]
# Environment: GPUS (8), GPUS_PER_NODE (8), CPUS_PER_TASK (5), SRUN_ARGS (extra srun options).
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=${4:-work_dirs/$JOB_NAME}
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The interpreter of tools/setup_env.sh's environment (MMNAS_VENV, default .venv), as in
# tools/demo.sh; MMNAS_PYTHON overrides it, and a plain `python` is the fallback without one.
python=${MMNAS_PYTHON:-${MMNAS_VENV:-$repo/.venv}/bin/python}
[ -x "$python" ] || python=python
# shellcheck disable=SC2086
PYTHONPATH="$repo:${PYTHONPATH:-}" exec srun -p "$PARTITION" --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS" --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 $SRUN_ARGS \
    "$python" -u "$repo/tools/train.py" "$CONFIG" --work-dir="$WORK_DIR" --launcher=slurm "${@:5}"
