from setuptools import setup

# All metadata lives in pyproject.toml; this shim keeps `pip install -e .` working on old toolchains.
setup()
