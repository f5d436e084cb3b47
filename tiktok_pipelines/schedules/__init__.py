"""Schedules: each module holds the schedules of one domain."""
