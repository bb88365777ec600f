#!/bin/sh
# The replica's data directory is a pg_basebackup -R of the primary, taken on
# first start; afterwards it simply starts as a hot standby.
set -e
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h postgres-primary -U payments; do sleep 1; done
  pg_basebackup -h postgres-primary -U payments -D "$PGDATA" -R -X stream -c fast
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on
