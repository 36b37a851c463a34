#!/usr/bin/env bash
# Each method's whole route on a tiny dataset, in minutes on a CPU: set up the environment,
# write the tiny set, search, derive the architecture, retrain or test it, and print supernet
# cost -> searched cost and the searched network's metric.
#
#   bash tools/demo.sh [hrnas|bignas|unnas|densenas] [work dir]   (default: hrnas)
#
#   hrnas     tiny Cityscapes: train the supernet while progressive shrinking cuts vanished
#             channels, test it (mIoU), export arch.json and arch.png   (work_dirs/demo)
#   bignas    tiny ImageNet: train the supernet with the sandwich rule, coarse-to-fine search
#             of a child within 3 MFLOPs, test the sliced child (top-1)  (work_dirs/demo-bignas)
#   unnas     tiny ImageNet: DARTS search with the rotation pretext (no labels), derive the
#             genotype, retrain it with labels and test it (top-1)      (work_dirs/demo-unnas)
#   densenas  tiny ImageNet: DenseNAS routing search, Viterbi derivation, retrain and test
#             (top-1)                                                    (work_dirs/demo-densenas)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
method=${1:-hrnas}
case "$method" in
    hrnas) default_work_dir=work_dirs/demo ;;
    bignas | unnas | densenas) default_work_dir=work_dirs/demo-$method ;;
    *)
        echo "tools/demo.sh: unknown method '$method'; expected hrnas, bignas, unnas or densenas" >&2
        exit 2
        ;;
esac
work_dir=${2:-$default_work_dir}
bash "$repo/tools/setup_env.sh"
cd "$repo"
py=${MMNAS_VENV:-$repo/.venv}/bin/python

tiny_set() {
    if [ ! -d "data/tiny/$1" ]; then
        "$py" tools/dataset_converters/make_tiny_datasets.py --out data/tiny --datasets "$1"
    fi
}

# Prints "<NAME> demo: supernet ... -> searched ..." and the metrics found in a test log.
# Arguments: method name, arch.json, test log, metric pattern, [supernet cost as JSON].
summary() {
    "$py" - "$@" <<'PY'
import json, re, sys
from mmnas.structures import ArchSpec
name, arch, log, pattern = sys.argv[1:5]
spec = ArchSpec.load(arch)
supernet = json.loads(sys.argv[5]) if len(sys.argv) > 5 else spec.meta['supernet_cost']
searched = spec.cost
unit, scale = ('GFLOPs', 1e9) if supernet['flops'] >= 1e8 else ('MFLOPs', 1e6)
print(f'{name} demo: supernet {supernet["flops"] / scale:.3f} {unit} '
      f'{supernet["params"] / 1e6:.3f} M params -> searched {searched["flops"] / scale:.3f} '
      f'{unit} {searched["params"] / 1e6:.3f} M params '
      f'({searched["flops"] / supernet["flops"]:.0%} of the FLOPs)')
metrics = dict(re.findall(pattern, open(log).read()))
print(f'{name} demo: searched network on the tiny val set: '
      + ', '.join(f'{k} {v}' for k, v in metrics.items()))
print(f'{name} demo: architecture spec {arch}')
PY
}

case "$method" in
hrnas)
    config=configs/hrnas/hrnas-supernet_tiny-cityscapes.py
    tiny_set cityscapes
    "$py" tools/train.py "$config" --work-dir "$work_dir"
    # The searched network is the one at the end of training (every cut is final).
    searched=$(cat "$work_dir/last_checkpoint")
    "$py" tools/test.py "$config" "$searched" --work-dir "$work_dir" | tee "$work_dir/test.log"
    "$py" tools/search.py "$config" "$searched" --work-dir "$work_dir"
    summary HR-NAS "$work_dir/arch.json" "$work_dir/test.log" '(aAcc|mIoU|mAcc): ([\d.]+)'
    echo "HR-NAS demo: picture of the architecture $work_dir/arch.png"
    ;;
bignas)
    tiny_set imagenet
    "$py" tools/train.py configs/bignas/bignas-supernet_tiny-imagenet.py \
        --work-dir "$work_dir/supernet"
    "$py" tools/search.py configs/bignas/bignas-search_tiny-imagenet.py \
        "$(cat "$work_dir/supernet/last_checkpoint")" --work-dir "$work_dir/search"
    mkdir -p "$work_dir/child"
    "$py" tools/test.py configs/bignas/bignas-child_tiny-imagenet.py \
        "$work_dir/search/searched.pth" --work-dir "$work_dir/child" \
        --cfg-options model.backbone.arch_spec="$work_dir/search/arch.json" \
        | tee "$work_dir/child/test.log"
    # The supernet's cost is its biggest child's, at the biggest resolution.
    supernet=$("$py" - <<'PY'
import json
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmnas.cost import count_complexity
from mmnas.registry import MODELS
cfg = Config.fromfile('configs/bignas/bignas-supernet_tiny-imagenet.py')
with DefaultScope.overwrite_default_scope(cfg.default_scope):
    backbone = MODELS.build(cfg.model.backbone)
biggest = backbone.max_arch()
backbone.set_arch(biggest)
size = backbone.arch_resolution(biggest)
print(json.dumps(count_complexity(backbone.export_arch().build(), (3, size, size))))
PY
)
    summary BigNAS "$work_dir/search/arch.json" "$work_dir/child/test.log" \
        '(accuracy/top1): ([\d.]+)' "$supernet"
    echo "BigNAS demo: every evaluated child in $work_dir/search/candidates.json, pareto.png"
    ;;
unnas)
    search=configs/unnas/unnas-darts-search-rotation_tiny-imagenet.py
    tiny_set imagenet
    "$py" tools/train.py "$search" --work-dir "$work_dir/search"
    "$py" tools/search.py "$search" "$(cat "$work_dir/search/last_checkpoint")" \
        --work-dir "$work_dir/search"
    arch="model.backbone.arch_spec=$work_dir/search/arch.json"
    "$py" tools/train.py configs/unnas/darts-eval_tiny-imagenet.py \
        --work-dir "$work_dir/retrain" --cfg-options "$arch"
    "$py" tools/test.py configs/unnas/darts-eval_tiny-imagenet.py \
        "$(cat "$work_dir/retrain/last_checkpoint")" --work-dir "$work_dir/retrain" \
        --cfg-options "$arch" | tee "$work_dir/retrain/test.log"
    summary UnNAS "$work_dir/search/arch.json" "$work_dir/retrain/test.log" \
        '(accuracy/top1): ([\d.]+)'
    ;;
densenas)
    search=configs/densenas/densenas-mbv2-search_tiny-imagenet.py
    tiny_set imagenet
    "$py" tools/train.py "$search" --work-dir "$work_dir/search"
    "$py" tools/search.py "$search" "$(cat "$work_dir/search/last_checkpoint")" \
        --work-dir "$work_dir/search"
    arch="model.backbone.arch_spec=$work_dir/search/arch.json"
    "$py" tools/train.py configs/densenas/densenas-retrain_tiny-imagenet.py \
        --work-dir "$work_dir/retrain" --cfg-options "$arch"
    "$py" tools/test.py configs/densenas/densenas-retrain_tiny-imagenet.py \
        "$(cat "$work_dir/retrain/last_checkpoint")" --work-dir "$work_dir/retrain" \
        --cfg-options "$arch" | tee "$work_dir/retrain/test.log"
    summary DenseNAS "$work_dir/search/arch.json" "$work_dir/retrain/test.log" \
        '(accuracy/top1): ([\d.]+)'
    ;;
esac
