"""For `scrapyd-deploy`, which builds the egg it uploads with `python setup.py bdist_egg`.

Without a setup.py, scrapyd-deploy writes one of its own that finds packages only, so the egg would lack the
top-level `settings` module. Everything is declared in pyproject.toml: the packages and package data, the
`settings` module, and the `scrapy` entry point (`settings = settings`) through which Scrapyd finds the settings
module of a deployed egg. (An `entry_points=` argument here would be ignored: pyproject.toml declares entry points.)
"""

from setuptools import setup

setup()
