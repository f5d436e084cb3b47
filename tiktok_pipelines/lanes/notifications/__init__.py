"""The notifications lane: the outbox delivered through Apprise
(`sender.py`, `transport.py`) and the day's sales total (`daily_sales.py`). Each is imported from its
module, so a lane that records a notice does not load Apprise."""
