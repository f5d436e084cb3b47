"""The creators' fixtures (a creator connected through the emulator's consent, the resources) for the
content tests."""

from tiktok_pipelines_tests.creators.conftest import connected, creator_resources, lane

__all__ = ["connected", "creator_resources", "lane"]
