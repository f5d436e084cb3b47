"""Creator sync requests as a queue: oldest first, at most the limit, each given once."""

from tiktok_pipelines.stores.creator_auth import CreatorAuthStore
from tiktok_pipelines.stores.creators import CreatorRegistry


def test_sync_requests_are_taken_oldest_first_and_once(state_db):
    creators = CreatorRegistry(state_db)
    auth = CreatorAuthStore(state_db)
    for creator_id in ("c3", "c1", "c2"):
        creators.add(creator_id)
        assert auth.request_sync(creator_id, "api")
    assert not auth.request_sync("c1", "cli")  # one waiting request serves both

    assert [creator for _, creator in auth.take_sync_requests(limit=2)] == ["c3", "c1"]
    assert not auth.pending_sync("c3") and auth.pending_sync("c2")
    assert [creator for _, creator in auth.take_sync_requests()] == ["c2"]
    assert auth.take_sync_requests() == []
    assert auth.request_sync("c1", "cli")  # taken, so a new one waits
    assert [creator for _, creator in auth.take_sync_requests()] == ["c1"]
