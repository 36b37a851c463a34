"""mmnas.utils.atomic: a written file appears complete or not at all, and a failed write
leaves the previous file and no temporary file behind."""
import os

import pytest

from mmnas.utils.atomic import atomic_path, atomic_write_text


def test_write_creates_folders_and_replaces(tmp_path):
    path = tmp_path / 'a' / 'b' / 'table.json'
    atomic_write_text(str(path), '{"x": 1}\n')
    assert path.read_text() == '{"x": 1}\n'
    atomic_write_text(str(path), '{"x": 2}\n')
    assert path.read_text() == '{"x": 2}\n'
    assert os.listdir(path.parent) == ['table.json']


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / 'pareto.png'
    path.write_bytes(b'old')
    with pytest.raises(RuntimeError, match='disk full'):
        with atomic_path(str(path)) as tmp:
            assert tmp.endswith('.png') and os.path.dirname(tmp) == str(tmp_path)
            with open(tmp, 'wb') as f:
                f.write(b'half')
            raise RuntimeError('disk full')
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['pareto.png']
