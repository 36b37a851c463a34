"""Only for editable installs in develop mode; the package metadata is in pyproject.toml.

``mim train mmnas CONFIG`` looks for ``mmnas/.mim/`` under the installed package's location.
An editable install made by ``setup.py develop`` (an egg-link, as OpenMMLab packages always
had) points that location at this checkout, where ``mmnas/.mim`` links to ``configs/`` and
``tools/``; a PEP 660 editable wheel points it at site-packages instead. Hence
``SETUPTOOLS_ENABLE_FEATURES=legacy-editable`` in the set-up, which needs this file.
"""
from setuptools import setup

setup()
