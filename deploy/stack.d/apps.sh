# shellcheck shell=bash
# The application processes of deploy/stack (sourced by it; uses its say, fail,
# spawn, wait_for, port_open, stop_pid, build_apps, APPS and SERVICE_TOKENS_ROOT), started once each,
# or several times for scale-out:
#
#   ACCOUNTS_INSTANCES, LEDGER_INSTANCES, READ_MODEL_INSTANCES (default 1):
#     copies of the service behind its one port. The process deploy/stack
#     starts is then a primary (lib/cluster/instances.ts) that forks the copies,
#     shares the port among them, starts a dead copy again, and answers
#     /metrics with every copy's metrics summed (one scrape target, as with one).
#     The read models are one Kafka consumer group over the topics' partitions.
#   WORKER_INSTANCES (default 1): Temporal workers polling the same task queue,
#     separate processes, each on ports of its own: worker-K (K = 2..N) serves
#     WORKER_METRICS_PORT + 10 x (K - 1) and WORKER_TEMPORAL_METRICS_PORT + 10 x (K - 1),
#     and Prometheus scrapes each of them (the rendered config is reloaded).
#
# The counts given to `up` are remembered in $RUN_DIR/instances.env until
# `down`, so a later `up` (which restarts what was stopped or killed, as the
# drills' heal does) starts the same number without being told again.
#
# `up` with other counts scales a running stack, up or down: a clustered
# service running another count than asked is stopped and started again with
# the new one (its port is closed for that restart, as for any restart: its
# callers retry or answer 503; the count it runs is in $RUN_DIR/NAME.count),
# workers above the count are started and workers beyond it stopped, the
# others left running.

INSTANCE_VARIABLES=(ACCOUNTS_INSTANCES LEDGER_INSTANCES READ_MODEL_INSTANCES WORKER_INSTANCES)
INSTANCES_MAX=16
# Worker K's ports are its first ports + (K - 1) x this; below 100, so stacks on ports shifted by 100s never meet.
INSTANCE_PORT_STEP=10

# Each count from the environment, else from the last `up`, else 1; remembered for the next `up`.
resolve_instances() {
  local file="$RUN_DIR/instances.env" variable value
  if [[ -f "$file" ]]; then
    while IFS='=' read -r variable value; do
      if [[ " ${INSTANCE_VARIABLES[*]} " == *" $variable "* && -z "${!variable:-}" ]]; then printf -v "$variable" '%s' "$value"; fi
    done < "$file"
  fi
  : > "$file"
  for variable in "${INSTANCE_VARIABLES[@]}"; do
    value=${!variable:-1}
    if ! [[ "$value" =~ ^[0-9]+$ ]] || ((value < 1 || value > INSTANCES_MAX)); then
      fail stack "$variable must be an integer from 1 to $INSTANCES_MAX, got '$value'"
    fi
    export "$variable=$value"
    echo "$variable=$value" >> "$file"
  done
}

instances_variable_of() { # app name -> its *_INSTANCES variable, or nothing
  case $1 in
    accounts) echo ACCOUNTS_INSTANCES ;;
    ledger) echo LEDGER_INSTANCES ;;
    read-model) echo READ_MODEL_INSTANCES ;;
    worker) echo WORKER_INSTANCES ;;
  esac
}

instances_of() { # app name -> how many
  local variable
  variable=$(instances_variable_of "$1")
  if [[ -n "$variable" ]]; then echo "${!variable:-1}"; else echo 1; fi
}

# The copies of a clustered service that listen now (the primary writes their pids to $RUN_DIR/NAME.instances).
instances_listening() { # name -> count
  local file="$RUN_DIR/$1.instances" pid count=0
  [[ -f "$file" ]] || { echo 0; return; }
  while read -r pid; do [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && count=$((count + 1)); done < "$file"
  echo "$count"
}

all_instances_listening() { # name, count
  [[ "$(instances_listening "$1")" -ge "$2" ]]
}

up_apps() {
  local spec name port entry
  resolve_instances
  for spec in "${APPS[@]}"; do
    IFS=: read -r name port entry <<<"$spec"
    if [[ ! -f "$ROOT/$entry" ]]; then say "skipping $name: $entry does not exist yet"; continue; fi
    if [[ $name == worker ]]; then up_workers "$entry"; else up_app "$name" "$port" "$entry" "$(instances_of "$name")"; fi
  done
  refresh_prometheus_targets
}

# The directory of an app's service credentials (worker-2 uses worker's), or
# nothing for an app that holds none (dashboards): deploy/stack's ensure_service_tokens.
service_tokens_dir_of() { # app name
  local holder=${1%-[0-9]*} tokens_root=${SERVICE_TOKENS_ROOT:-$RUN_DIR/service-tokens}
  [[ -d "$tokens_root/$holder" ]] && echo "$tokens_root/$holder"
  return 0
}

up_app() { # name, port, entry, instances behind the port, extra environment (NAME=value)...
  local name=$1 port=$2 entry=$3 count=$4 running
  shift 4
  if port_open "$port"; then
    running=$(running_count "$name")
    if [[ -z "$running" || "$running" == "$count" ]]; then say "$name already answers on :$port"; return; fi
    say "$name runs $running instance(s), $count asked for: starting it again with $count"
    stop_app "$name"
  fi
  build_apps
  # The stack's own Temporal unless the caller names another client configuration.
  local environment=(OTEL_SERVICE_NAME="$name" TEMPORAL_CONFIG_FILE="${TEMPORAL_CONFIG_FILE:-$DEPLOY/temporal-client.toml}") tokens
  ((count > 1)) && environment+=(INSTANCES_FILE="$RUN_DIR/$name.instances")
  # Its service credentials (deploy/stack's ensure_service_tokens): the callers it accepts, its tokens for the services it calls.
  tokens=$(service_tokens_dir_of "$name")
  [[ -n "$tokens" ]] && environment+=(SERVICE_TOKENS_DIR="$tokens")
  spawn "$name" env "${environment[@]}" "$@" node --enable-source-maps "$ROOT/dist/${entry%.ts}.js"
  echo "$count" > "$RUN_DIR/$name.count"
  wait_for "$name" "$LOG_DIR/$name.log" curl -fsS "http://127.0.0.1:$port/healthz"
  if ((count > 1)); then
    wait_for "$name" "$LOG_DIR/$name.log" all_instances_listening "$name" "$count"
    say "$name: $count instances listening on :$port"
  fi
}

# How many copies the running app was started with: its NAME.count, else 1
# for one this stack spawned before counts were kept; nothing for a process
# the stack did not start (no pid file), which is left alone.
running_count() { # name
  if [[ -f "$RUN_DIR/$1.count" ]]; then cat "$RUN_DIR/$1.count"
  elif [[ -f "$RUN_DIR/$1.pid" ]]; then echo 1
  fi
}

worker_name() { # K -> worker, worker-2, ...
  if (($1 == 1)); then echo worker; else echo "worker-$1"; fi
}

# Worker K's two ports: "metrics temporal-metrics".
worker_ports() { # K
  local shift=$(((${1} - 1) * INSTANCE_PORT_STEP))
  echo "$((WORKER_METRICS_PORT + shift)) $((WORKER_TEMPORAL_METRICS_PORT + shift))"
}

up_workers() { # entry
  local entry=$1 k metrics temporal_metrics
  for ((k = 1; k <= WORKER_INSTANCES; k++)); do
    read -r metrics temporal_metrics <<<"$(worker_ports "$k")"
    # One service name for all (metrics, traces); SERVICE_INSTANCE tells their log lines apart.
    up_app "$(worker_name "$k")" "$metrics" "$entry" 1 OTEL_SERVICE_NAME=worker SERVICE_INSTANCE="$k" \
      WORKER_METRICS_PORT="$metrics" WORKER_TEMPORAL_METRICS_PORT="$temporal_metrics"
  done
  # Scaled down: the workers beyond the count stop (each finishes or hands back its tasks on SIGTERM).
  for ((k = WORKER_INSTANCES + 1; k <= INSTANCES_MAX; k++)); do
    [[ -f "$RUN_DIR/$(worker_name "$k").pid" ]] && stop_app "$(worker_name "$k")"
  done
  return 0
}

# Stops an app and its instances: `worker` also stops worker-2..N (a clustered service's copies stop with its primary).
stop_app() { # name
  local name=$1 file
  stop_pid "$name"
  rm -f "$RUN_DIR/$name.instances" "$RUN_DIR/$name.count"
  if [[ $name == worker ]]; then
    for file in "$RUN_DIR"/worker-[0-9]*.pid; do
      [[ -e "$file" ]] || continue
      file=${file##*/}
      stop_pid "${file%.pid}"
      rm -f "$RUN_DIR/${file%.pid}.count"
    done
  fi
}

# After `down`: the next `up` starts one of each unless told otherwise.
forget_instances() { rm -f "$RUN_DIR/instances.env"; }

# One status line per application process: a clustered service says how many copies listen.
status_apps() {
  local spec name port count listening k metrics
  for spec in "${APPS[@]}"; do
    IFS=: read -r name port _ <<<"$spec"
    if [[ $name == worker ]]; then
      for ((k = 1; k <= $(worker_count); k++)); do
        read -r metrics _ <<<"$(worker_ports "$k")"
        status_line "$(worker_name "$k")" "$metrics" ""
      done
      continue
    fi
    count=$(recorded_instances "$name")
    listening=""
    ((count > 1)) && listening=" ($(instances_listening "$name") of $count instances listening)"
    status_line "$name" "$port" "$listening"
  done
}

status_line() { # name, port, note
  if port_open "$2"; then printf '%-12s %-6s up%s\n' "$1" "$2" "$3"; else printf '%-12s %-6s down\n' "$1" "$2"; fi
}

# What the last `up` started (status runs without resolve_instances): the environment, else instances.env, else 1.
recorded_instances() { # name
  local variable value=""
  variable=$(instances_variable_of "$1")
  [[ -n "$variable" ]] || { echo 1; return; }
  [[ -f "$RUN_DIR/instances.env" ]] && value=$(sed -n "s/^$variable=//p" "$RUN_DIR/instances.env")
  echo "${!variable:-${value:-1}}"
}

worker_count() { recorded_instances worker; }

# ------------------------------------------------------------ Prometheus targets

# deploy/prometheus/prometheus.yml with its ports filled in, and every worker
# instance beside the first worker's two targets (jobs worker, temporal-worker).
render_prometheus_config() { # output file
  local k metrics temporal_metrics extra_metrics="" extra_temporal=""
  for ((k = 2; k <= $(worker_count); k++)); do
    read -r metrics temporal_metrics <<<"$(worker_ports "$k")"
    extra_metrics+=", \"127.0.0.1:$metrics\""
    extra_temporal+=", \"127.0.0.1:$temporal_metrics\""
  done
  PROMETHEUS_RULES_DIR="$DEPLOY/prometheus/rules" envsubst < "$DEPLOY/prometheus/prometheus.yml" \
    | sed -e "s/\"127\.0\.0\.1:$WORKER_METRICS_PORT\"/&$extra_metrics/" \
          -e "s/\"127\.0\.0\.1:$WORKER_TEMPORAL_METRICS_PORT\"/&$extra_temporal/" > "$1"
}

# A running Prometheus whose targets no longer match the instances is given the new config and told to reload it.
refresh_prometheus_targets() {
  local current="$DATA_DIR/prometheus/prometheus.yml" fresh
  [[ -f "$current" ]] && port_open "$PROMETHEUS_PORT" || return 0
  fresh=$(mktemp "$DATA_DIR/prometheus/prometheus.yml.XXXXXX")
  render_prometheus_config "$fresh"
  if cmp -s "$fresh" "$current"; then rm -f "$fresh"; return 0; fi
  mv "$fresh" "$current"
  say "prometheus: scraping $(worker_count) worker(s); reloading its configuration"
  curl -fsS -X POST "http://127.0.0.1:$PROMETHEUS_PORT/-/reload" >/dev/null || say "prometheus did not reload; restart it (deploy/stack stop prometheus && deploy/stack up)"
}
