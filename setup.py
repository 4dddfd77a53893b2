"""The one compiled piece: the native flow-tuple scanner (``netwarden.flows._tuplescan``).

It is optional: where it cannot be built (no C compiler), netwarden installs without it and
flow logs are parsed by the vectorised Arrow/DuckDB path, to the same rows, only slower.
Everything else is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("netwarden.flows._tuplescan", ["src/netwarden/flows/_tuplescan.c"],
                             optional=True)])
