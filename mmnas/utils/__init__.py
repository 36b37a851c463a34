from .checkpoint import CheckpointError, install_checkpoint_loader, load_local_checkpoint
from .config_check import ConfigError, check_cfg_options, check_data, check_types
from .setup_env import register_all_modules

__all__ = [
    'register_all_modules', 'ConfigError', 'check_types', 'check_data', 'check_cfg_options',
    'CheckpointError', 'load_local_checkpoint', 'install_checkpoint_loader'
]
