"""Sensors: each module holds the sensors of one domain."""
