"""Convert between the DenseNAS authors' released ``net_config`` and an mmnas arch.json.

    python tools/model_converters/densenas_net_config.py to-spec NET_CONFIG_FILE OUT_JSON
                                                         [--net-type mbv2|res]
    python tools/model_converters/densenas_net_config.py to-net-config ARCH_JSON OUT_FILE
                                                         [--net-type mbv2|res]

``to-spec`` reads a file holding the ``net_config`` string (its ``|``-separated entries, as
the released search prints them and the released model zoo ships them; a trailing
``net_type: ...`` line, as in the model zoo's files, sets the net type) and writes an
:class:`ArchSpec` whose FLOPs and parameters are counted at 3×224×224; a retraining config
then uses ``backbone=dict(type='mmnas.SearchedBackbone', arch_spec=OUT_JSON)``.
``to-net-config`` writes the released string of a DenseNASNet spec (a DenseNAS search's
arch.json).
"""
import argparse

from mmnas.cost import count_complexity
from mmnas.densenas.net_config import net_config_to_spec, spec_to_net_config
from mmnas.structures import ArchSpec
from mmnas.utils import register_all_modules
from mmnas.utils.cli import run_tool
from mmnas.utils.config_check import ConfigError


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('direction', choices=['to-spec', 'to-net-config'])
    parser.add_argument('src', help='net_config file (to-spec) or arch.json (to-net-config)')
    parser.add_argument('out', help='arch.json (to-spec) or net_config file (to-net-config)')
    parser.add_argument('--net-type', choices=['mbv2', 'res'],
                        help="released net_type (default: the file's net_type line, else "
                        "mbv2; to-net-config: from the spec's operations)")
    return parser.parse_args()


def read_net_config(path: str):
    """The ``net_config`` string of a file and its ``net_type`` line, if any."""
    try:
        with open(path) as f:
            lines = [line.strip() for line in f if line.strip()]
    except OSError as e:
        raise ConfigError(f'net_config file {path!r}: {e.strerror}') from None
    net_type = None
    if lines and lines[-1].startswith('net_type'):
        net_type = lines.pop().split(':')[-1].strip()
    return ''.join(lines), net_type


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope_=False)
    if args.direction == 'to-spec':
        text, net_type = read_net_config(args.src)
        spec = net_config_to_spec(text, args.net_type or net_type or 'mbv2')
        spec.cost = count_complexity(spec.build(), (3, 224, 224))
        spec.dump(args.out)
        print(f'{len(spec.backbone["blocks"])} blocks, {spec.cost["flops"] / 1e6:.1f} MFLOPs '
              f'(mmengine) at 3x224x224; written to {args.out}')
    else:
        text = spec_to_net_config(ArchSpec.load(args.src), args.net_type)
        with open(args.out, 'w') as f:
            f.write(text + '\n')
        print(f'net_config of {text.count("|") + 1} entries written to {args.out}')


if __name__ == '__main__':
    run_tool(main)
