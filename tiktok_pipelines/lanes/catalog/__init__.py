"""The catalog's work, in plain Python over the API clients and the state DB (no Dagster): VTEX
enrichment, brands, categories, images and listings. The assets in `assets/catalog.py` call it."""
