"""Faithful local emulators of the outside world (feed server, TikTok Shop, VTEX) for tests and the demo."""
