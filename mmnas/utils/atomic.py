"""Files that appear complete or not at all: written next to their path, then renamed.

A reader (a second process, a user watching the work dir, a crashed run resumed) never sees
half a JSON spec, a truncated checkpoint or a cut-off PNG, since ``os.replace`` within one
directory is atomic on POSIX and Windows.
"""
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """A temporary path next to ``path`` to write to; on leaving the block without an error
    it replaces ``path``, otherwise it is removed. Missing directories are created.

    Example::

        with atomic_path('work/pareto.png') as tmp:
            fig.savefig(tmp, format='png')
    """
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    base, ext = osp.splitext(osp.basename(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f'.{base}-', suffix=ext)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (JSON, CSV, Markdown tables)."""
    with atomic_path(path) as tmp:
        with open(tmp, 'w') as f:
            f.write(text)
