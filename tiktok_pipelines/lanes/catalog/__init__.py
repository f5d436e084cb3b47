"""The catalog lane, in plain Python over the Channel interface, the VTEX client and the stores (no
Dagster, no marketplace named): the feed fetched and read (`feed`), what changed and whether it may be
published (`diff`, `guards`), VTEX enrichment (`enrichment`), brands (`brands`), categories
(`categories`), and the publication of listings (`publication`: drafts, plan, pushes, deletions, what is
recorded). The assets in `defs/catalog/` call one function each and report what it returns."""
