#!/usr/bin/env bash
# The main job on the embedded default: set up the environment, write the tiny
# Cityscapes-format set, and run an HR-NAS search on it: train the supernet with mmseg's FCN
# head while resource-aware progressive shrinking cuts vanished channels, test the searched
# network (mIoU / mAcc / aAcc with a per-class table), write its architecture spec and print
# supernet FLOPs -> searched FLOPs. The picture of the searched architecture is arch.png.
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
# The searched network is the one at the end of training (every cut is final).
searched=$(cat "$work_dir/last_checkpoint")
"$py" tools/test.py "$config" "$searched" --work-dir "$work_dir" | tee "$work_dir/test.log"
"$py" tools/search.py "$config" "$searched" --work-dir "$work_dir"
"$py" - "$work_dir" <<'PY'
import re, sys
from mmnas.structures import ArchSpec
work_dir = sys.argv[1]
spec = ArchSpec.load(f'{work_dir}/arch.json')
supernet, searched = spec.meta['supernet_cost'], spec.cost
metrics = re.findall(r'(aAcc|mIoU|mAcc): ([\d.]+)', open(f'{work_dir}/test.log').read())
print(f'HR-NAS demo: supernet {supernet["flops"] / 1e9:.3f} GFLOPs '
      f'{supernet["params"] / 1e6:.3f} M params -> searched {searched["flops"] / 1e9:.3f} '
      f'GFLOPs {searched["params"] / 1e6:.3f} M params '
      f'({searched["flops"] / supernet["flops"]:.0%} of the FLOPs)')
print('HR-NAS demo: searched network on the tiny val set: '
      + ', '.join(f'{k} {v}' for k, v in dict(metrics).items()))
print(f'HR-NAS demo: architecture spec {work_dir}/arch.json, picture {work_dir}/arch.png')
PY
