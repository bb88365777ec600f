#!/bin/sh
# Runs once in the primary's first start (docker-entrypoint-initdb.d): lets the
# replica container stream WAL, as the native stack's pg_hba.conf does.
set -e
echo "host replication all all trust" >> "$PGDATA/pg_hba.conf"
