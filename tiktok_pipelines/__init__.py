"""tiktok-pipelines: Dagster pipelines that run a VTEX merchant's TikTok Shop."""

from tiktok_pipelines.logs import LIBRARY_LOGGERS, install_log_redaction

install_log_redaction(*LIBRARY_LOGGERS)
