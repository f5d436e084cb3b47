"""`python -m tiktok_pipelines.cli`: the command line."""

from tiktok_pipelines.cli.main import main

main()
