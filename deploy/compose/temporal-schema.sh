#!/bin/sh
# docker-compose.yml's temporal-schema job (admin-tools image): creates the
# Temporal server's databases (temporal, temporal_visibility) on the system's
# PostgreSQL and migrates them to the schema of the image's server version.
# Idempotent: a database whose schema is already versioned is only updated.
set -eu
: "${POSTGRES_SEEDS:?}" "${DB_PORT:?}" "${SQL_USER:?}" "${SQL_PASSWORD:?}"
# The admin-tools image keeps the schema here; another place (a native check) can be given.
SCHEMA_ROOT=${TEMPORAL_SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}

sql_tool() { # database, command...
  database=$1; shift
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$SQL_USER" --pw "$SQL_PASSWORD" \
    --db "$database" "$@"
}

migrate() { # database, schema directory
  if sql_tool "$1" update-schema -d "$SCHEMA_ROOT/$2/versioned" 2>/dev/null; then
    echo "$1: schema up to date"
    return
  fi
  echo "$1: creating the database and its schema"
  sql_tool "$1" create || echo "$1: the database exists already"
  sql_tool "$1" setup-schema -v 0.0
  sql_tool "$1" update-schema -d "$SCHEMA_ROOT/$2/versioned"
}

migrate temporal temporal
migrate temporal_visibility visibility
