#!/bin/sh
# The replica's data directory is a pg_basebackup -R of the primary, taken on
# first start; afterwards it simply starts as a hot standby. Its arguments go to
# postgres. PRIMARY_HOST and PRIMARY_PORT (postgres-primary, 5432) name the primary.
set -e
host="${PRIMARY_HOST:-postgres-primary}"
port="${PRIMARY_PORT:-5432}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h "$host" -p "$port" -U payments; do sleep 1; done
  pg_basebackup -h "$host" -p "$port" -U payments -D "$PGDATA" -R -X stream -c fast
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on "$@"
