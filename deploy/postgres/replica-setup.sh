#!/bin/sh
# Makes the replication role on the primary once (docker-compose.yml `replica-setup`, `--profile replica`).
# Idempotent, so it also works on a database that existed before the profile was first used.
set -eu
export PGPASSWORD="$POSTGRES_PASSWORD"
psql -h "${PRIMARY_HOST:-postgres}" -p "${PRIMARY_PORT:-5432}" -U "${POSTGRES_USER:-govservice}" -d "${POSTGRES_DB:-govservice}" -v ON_ERROR_STOP=1 -v pw="$REPLICATION_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD %L', :'pw')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'replicator')
\gexec
SQL
