-- Run once by the Postgres container on a new volume (docker-entrypoint-initdb.d): the state DB beside
-- the Dagster instance's database (POSTGRES_DB). They stay apart: each keeps its own schema version.
CREATE DATABASE tiktok_pipelines;
