"""Everything Dagster: one folder per area (its assets, checks, jobs, schedules and sensors), the resources,
and the helpers that turn results into metadata. Each area's package exposes one `defs`."""
