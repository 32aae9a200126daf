#!/bin/sh
# The streaming replica (docker-compose.yml `postgres-replica`, `--profile replica`).
# First start (empty volume): copy the primary with pg_basebackup over the replication protocol, holding a
# physical replication slot so the primary keeps the WAL the replica has not received yet. Every start: run
# as a hot standby streaming from the primary (primary_conninfo, primary_slot_name), read-only.
set -eu
SLOT="${REPLICATION_SLOT:-replica1}"
PRIMARY_HOST="${PRIMARY_HOST:-postgres}"
PRIMARY_PORT="${PRIMARY_PORT:-5432}"
export PGPASSWORD="$REPLICATION_PASSWORD"
CONNINFO="host=$PRIMARY_HOST port=$PRIMARY_PORT user=replicator password=$REPLICATION_PASSWORD application_name=$SLOT"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -q; do echo "waiting for the primary"; sleep 2; done
    # A slot left by an earlier replica whose volume was deleted would make -C fail.
    psql "host=$PRIMARY_HOST port=$PRIMARY_PORT user=replicator dbname=postgres" -v ON_ERROR_STOP=1 -qAt -c \
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$SLOT'"
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 0700 "$PGDATA"
    gosu postgres pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U replicator -D "$PGDATA" \
        --wal-method=stream --write-recovery-conf --create-slot --slot="$SLOT" --checkpoint=fast --progress
fi

# The image's entrypoint sees an initialised PGDATA, skips initdb and starts postgres as the postgres user.
exec docker-entrypoint.sh postgres "$@" \
    -c hot_standby=on \
    -c max_locks_per_transaction=256 \
    -c primary_conninfo="$CONNINFO" \
    -c primary_slot_name="$SLOT" \
    -c hot_standby_feedback=on
