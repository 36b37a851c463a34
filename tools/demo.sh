#!/usr/bin/env bash
# The main job on the embedded default: set up the environment, write the tiny
# Cityscapes-format set, train the HR-NAS supernet with mmseg's FCN head on it, evaluate the
# best checkpoint (mIoU / mAcc / aAcc with a per-class table) and write its architecture spec.
#
#   bash tools/demo.sh [work dir]          (default: work_dirs/demo)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo/tools/setup_env.sh"
cd "$repo"
py=${MMNAS_VENV:-$repo/.venv}/bin/python
config=configs/hrnas/hrnas-supernet_tiny-cityscapes.py
work_dir=${1:-work_dirs/demo}

if [ ! -d data/tiny/cityscapes ]; then
    "$py" tools/dataset_converters/make_tiny_datasets.py --out data/tiny --datasets cityscapes
fi
"$py" tools/train.py "$config" --work-dir "$work_dir"
best=$(ls -t "$work_dir"/best_mIoU_iter_*.pth | head -n 1)
"$py" tools/test.py "$config" "$best" --work-dir "$work_dir"
"$py" tools/search.py "$config" "$best" --work-dir "$work_dir"
echo "demo: best checkpoint $best, architecture spec $work_dir/arch.json"
