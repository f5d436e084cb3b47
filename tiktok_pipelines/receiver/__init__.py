"""The project's HTTP receiver: the OAuth callback, the channels' and VTEX's webhooks, VTEX's marketplace
callbacks (verify, persist, answer fast; no Dagster)."""
