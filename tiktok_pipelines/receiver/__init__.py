"""The project's HTTP receiver: the OAuth callback today, platform webhooks next (verify, persist, 200 fast)."""
