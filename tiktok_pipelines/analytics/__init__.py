"""Sales analytics: the DuckDB database analysts query, built from the lake and the event log.

No Dagster here: `assets/analytics.py` wires these functions to resources and reports metadata.
"""
