"""The sales dashboard: server-rendered pages over the published analytics database (read-only).

`app.create_app` is the ASGI app (`tiktok-pipelines dashboard serve`, started by `make run`); `pages`
declares the pages and their SQL, `filters` the client / channel / period filters, `data` the
read-only session per request, `charts` the server-drawn SVG charts, `auth` the login required outside
development. It imports no Dagster. docs/dashboard.md describes it.
"""
