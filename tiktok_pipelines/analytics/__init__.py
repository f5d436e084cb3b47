"""Sales analytics: the DuckDB database analysts query, built from the lake and the event log.

No Dagster here: `defs/analytics/assets.py` wires these functions to resources and reports metadata.
"""
