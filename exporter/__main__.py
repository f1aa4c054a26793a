"""`python -m exporter` runs the command-line interface."""

from .cli import run

run()
