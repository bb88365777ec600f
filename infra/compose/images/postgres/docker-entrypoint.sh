#!/bin/sh
# Entrypoint of the local postgres image: the part of the official postgres image's contract
# that this project uses, so compose.yaml runs unchanged on either image.
#   POSTGRES_USER (default postgres), POSTGRES_PASSWORD, POSTGRES_DB (default the user),
#   POSTGRES_HOST_AUTH_METHOD (default scram-sha-256 with a password), PGDATA,
#   /docker-entrypoint-initdb.d/*.sh and *.sql run once on an empty data directory,
#   a first argument starting with "-" is taken as options to postgres.
# As root it prepares PGDATA and runs itself again as the postgres user (setpriv, no gosu).
set -eu

if [ "${1#-}" != "$1" ]; then set -- postgres "$@"; fi
[ "$1" = postgres ] || exec "$@"

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  method="${POSTGRES_HOST_AUTH_METHOD:-}"
  if [ -z "$method" ]; then
    [ -n "${POSTGRES_PASSWORD:-}" ] || {
      echo "postgres: set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without one" >&2
      exit 1
    }
    method=scram-sha-256
  fi
  pwfile=""
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  fi
  initdb --username="$user" ${pwfile:+--pwfile="$pwfile"} -E UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
  [ -z "$pwfile" ] || rm -f "$pwfile"
  printf '\nhost all all all %s\n' "$method" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"

  # The first-start scripts run against a server on the Unix socket only.
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c port=5432" start >/dev/null
  export PGHOST=/var/run/postgresql PGPORT=5432 PGUSER="$user"
  if [ "$db" != postgres ]; then psql -v ON_ERROR_STOP=1 -q -d postgres -c "CREATE DATABASE \"$db\""; fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
      *.sql) psql -v ON_ERROR_STOP=1 -q -d "$db" -f "$f" ;;
      */\*) ;;
      *) echo "postgres: ignoring $f" >&2 ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  unset PGHOST PGPORT PGUSER
  echo "postgres: initialised $PGDATA (user $user, database $db)"
fi

exec "$@"
