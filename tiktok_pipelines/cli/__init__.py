"""`tiktok-pipelines`: the command line of the project."""

from tiktok_pipelines.cli.main import main

__all__ = ["main"]
