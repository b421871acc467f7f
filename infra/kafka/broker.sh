#!/usr/bin/env bash
# A real single-node Apache Kafka (KRaft, broker+controller in one JVM) on loopback: no Docker, no tarball.
# The broker's jars are resolved from Maven Central once (infra/kafka/pom.xml) and cached.
#
# usage: infra/kafka/broker.sh start|stop|status|topics|bootstrap|reset
#   start      resolve jars if missing, format storage on first run, start, wait until ready, create topics,
#              print the bootstrap address (a no-op that prints it when already running)
#   stop       SIGTERM, wait up to KAFKA_STOP_TIMEOUT seconds, then SIGKILL; data is kept
#   status     print "running pid N bootstrap ADDR" (exit 0) or "stopped" (exit 3)
#   topics     create the topics in topics.yaml that do not exist yet (broker must be running)
#   bootstrap  print the bootstrap address
#   reset      stop and delete KAFKA_DATA (topics and messages)
# env: KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (19093), KAFKA_DATA (/tmp/storyline-kafka),
#      STORYLINE_KAFKA_HOME (~/.cache/storyline/kafka-<version>: jars in lib/, Maven repo in m2/),
#      STORYLINE_KAFKA_M2 (Maven local repo, default $STORYLINE_KAFKA_HOME/m2), KAFKA_HEAP_OPTS (-Xms256m -Xmx512m),
#      KAFKA_CLUSTER_ID (fixed default), KAFKA_START_TIMEOUT (120 s), KAFKA_STOP_TIMEOUT (30 s),
#      KAFKA_TOOL_JOBS (2: topic-creating JVMs at a time), JAVA (java from JAVA_HOME or PATH; 17+), MVN (mvn),
#      PYTHON (repo .venv python, else python3).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

# The pinned version lives in pom.xml only; STORYLINE_KAFKA_VERSION overrides it (for trying another release).
POM_VERSION="$(sed -n 's|.*<kafka.version>\(.*\)</kafka.version>.*|\1|p' "$HERE/pom.xml" | head -n1)"
KAFKA_VERSION="${STORYLINE_KAFKA_VERSION:-$POM_VERSION}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_DATA="${KAFKA_DATA:-/tmp/storyline-kafka}"
CACHE="${STORYLINE_KAFKA_HOME:-${HOME:-/root}/.cache/storyline/kafka-$KAFKA_VERSION}"
M2="${STORYLINE_KAFKA_M2:-$CACHE/m2}"
LIB="$CACHE/lib"
# Base64url of the 16 bytes "storyline-kafka1": stable across resets, so logs from different runs compare.
CLUSTER_ID="${KAFKA_CLUSTER_ID:-c3RvcnlsaW5lLWthZmthMQ}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
unset EXISTING_TOPICS # set by wait_ready

PID_FILE="$KAFKA_DATA/broker.pid"
LOG_FILE="$KAFKA_DATA/broker.log"
PROPS="$KAFKA_DATA/server.properties"
LOG_DIRS="$KAFKA_DATA/kraft-logs"
FORMAT_STAMP="$KAFKA_DATA/formatted-with" # what storage was formatted with: version and controller endpoint

log() { echo "broker.sh: $*" >&2; }
die() { log "$*"; exit 1; }

java_bin() {
  if [ -n "${JAVA:-}" ]; then echo "$JAVA"
  elif [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then echo "$JAVA_HOME/bin/java"
  else command -v java || die "java not found (Kafka $KAFKA_VERSION needs Java 17+): apt-get install openjdk-17-jre-headless"
  fi
}
JAVA_BIN="$(java_bin)"

check_java() {
  local v
  v="$("$JAVA_BIN" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  [ "${v%%.*}" -ge 17 ] 2>/dev/null || die "$JAVA_BIN is Java '$v'; Kafka $KAFKA_VERSION brokers need Java 17+"
}

python_bin() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"
  elif [ -x "$REPO/.venv/bin/python" ]; then echo "$REPO/.venv/bin/python"
  else echo python3
  fi
}

# --- classpath -----------------------------------------------------------------------------------------
resolve_jars() {
  [ -f "$LIB/.complete" ] && return 0
  command -v "${MVN:-mvn}" >/dev/null || die "mvn not found: apt-get install maven (or set STORYLINE_KAFKA_HOME to a resolved cache)"
  mkdir -p "$CACHE"
  (
    # One resolver at a time (parallel CI steps, two shells): the second waits, then finds lib/ complete.
    if command -v flock >/dev/null; then flock 9; fi
    [ -f "$LIB/.complete" ] && exit 0
    log "resolving Kafka $KAFKA_VERSION jars from Maven Central into $LIB (once)..."
    rm -rf "$LIB.tmp"
    "${MVN:-mvn}" -q -B -Dstyle.color=never -f "$HERE/pom.xml" -Dmaven.repo.local="$M2" -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIB.tmp" >"$CACHE/mvn.log" 2>&1 \
      || { tail -n 30 "$CACHE/mvn.log" >&2; die "mvn dependency:copy-dependencies failed (log: $CACHE/mvn.log)"; }
    [ -f "$LIB.tmp/kafka_2.13-$KAFKA_VERSION.jar" ] || die "kafka_2.13-$KAFKA_VERSION.jar missing after resolution"
    rm -rf "$LIB" && mv "$LIB.tmp" "$LIB"
    date -u +%FT%TZ >"$LIB/.complete"
  ) 9>"$CACHE/.lock"
}

# Admin/CLI tools: a short-lived JVM with quiet logging and fast start-up flags.
run_tool() {
  local cls="$1"; shift
  "$JAVA_BIN" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DATA/log4j2-tools.properties" -cp "$LIB/*" "$cls" "$@"
}

# --- config --------------------------------------------------------------------------------------------
write_config() {
  mkdir -p "$KAFKA_DATA" "$LOG_DIRS"
  cat >"$PROPS" <<EOF
# Written by infra/kafka/broker.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
# Dynamic KRaft quorum (KIP-853), formatted with --standalone: no controller.quorum.voters.
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
log.dirs=$LOG_DIRS
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# After a crash (SIGKILL) the restarted node waits out its previous incarnation's session before it may
# register again: 4 s instead of the default 9 s (heartbeats every 1 s instead of 2 s).
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
# Tests produce little: small segments keep restarts (log recovery) quick.
log.segment.bytes=67108864
EOF
  # Broker: INFO to stdout, which start() appends to broker.log. Tools: warnings only, to stderr.
  # shutdownHook=disable: Kafka's own shutdown runs in a JVM shutdown hook; log4j's hook must not stop logging
  # first, or the end of a SIGTERM shutdown goes missing from broker.log.
  cat >"$KAFKA_DATA/log4j2-broker.properties" <<'EOF'
status = warn
shutdownHook = disable
appender.out.type = Console
appender.out.name = OUT
appender.out.target = SYSTEM_OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = OUT
logger.kafka.name = kafka
logger.kafka.level = info
logger.state.name = state.change.logger
logger.state.level = warn
logger.request.name = kafka.request.logger
logger.request.level = warn
EOF
  cat >"$KAFKA_DATA/log4j2-tools.properties" <<'EOF'
status = warn
shutdownHook = disable
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = ERR
EOF
}

format_storage() {
  local want="kafka=$KAFKA_VERSION controller=127.0.0.1:$KAFKA_CONTROLLER_PORT cluster=$CLUSTER_ID"
  if [ -f "$LOG_DIRS/meta.properties" ]; then
    local had; had="$(cat "$FORMAT_STAMP" 2>/dev/null || echo unknown)"
    # The standalone voter set records the controller endpoint; a different port or an older Kafka cannot
    # reuse this storage. Say so instead of letting the broker fail obscurely.
    [ "$had" = "$want" ] || [ "$had" = unknown ] \
      || die "$KAFKA_DATA was formatted with '$had', now '$want': run '$0 reset' or use another KAFKA_DATA"
    return 0
  fi
  log "formatting KRaft storage in $LOG_DIRS (cluster id $CLUSTER_ID)"
  # Kafka >= 3.9 (KIP-853): --standalone makes this node the sole voter of a dynamic quorum.
  run_tool kafka.tools.StorageTool format --config "$PROPS" --cluster-id "$CLUSTER_ID" --standalone \
    >>"$LOG_FILE" 2>&1 || { tail -n 20 "$LOG_FILE" >&2; die "kafka-storage format failed (log: $LOG_FILE)"; }
  echo "$want" >"$FORMAT_STAMP"
}

# --- process -------------------------------------------------------------------------------------------
running_pid() {
  local pid
  [ -f "$PID_FILE" ] || return 1
  pid="$(cat "$PID_FILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a recycled pid: it must be our broker, started with our server.properties.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $PROPS" || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

list_topics() { run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --list; }

wait_ready() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    kill -0 "$pid" 2>/dev/null || { tail -n 40 "$LOG_FILE" >&2; die "broker exited during start-up (log: $LOG_FILE)"; }
    # KRaft brokers open the PLAINTEXT acceptor only once they have caught up with the metadata log
    # and registered; a metadata round-trip (list topics) then confirms it answers.
    if port_open "$KAFKA_PORT" && EXISTING_TOPICS="$(list_topics 2>/dev/null)"; then return 0; fi
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 40 "$LOG_FILE" >&2; die "broker not ready after ${START_TIMEOUT}s (log: $LOG_FILE)"; }
    sleep 0.5
  done
}

create_topics() {
  local existing specs line name partitions rf kv running=0 failed=0 created=0
  local -a fields cfg
  # start() has just listed them while waiting for the broker: one JVM start-up saved.
  existing="${EXISTING_TOPICS-$(list_topics)}" || die "cannot list topics on $BOOTSTRAP"
  specs="$("$(python_bin)" "$HERE/topics.py" "$HERE/topics.yaml")" || die "cannot read topics.yaml"
  # One TopicCommand JVM per missing topic (it creates one topic per call); JVM start-up is the cost, so run
  # KAFKA_TOOL_JOBS (default 2) of them at a time.
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    read -r -a fields <<<"$line"
    name="${fields[0]}"; partitions="${fields[1]}"; rf="${fields[2]}"
    if grep -qxF -- "$name" <<<"$existing"; then continue; fi # existing topics are left alone
    cfg=()
    for kv in "${fields[@]:3}"; do cfg+=(--config "$kv"); done
    # --if-not-exists: a concurrent creator is not an error.
    run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
      --topic "$name" --partitions "$partitions" --replication-factor "$rf" "${cfg[@]}" >/dev/null \
      || { log "creating topic $name failed"; exit 1; } &
    running=$((running + 1)); created=$((created + 1))
    if [ "$running" -ge "${KAFKA_TOOL_JOBS:-2}" ]; then
      wait -n || failed=1
      running=$((running - 1))
    fi
  done <<<"$specs"
  while [ "$running" -gt 0 ]; do wait -n || failed=1; running=$((running - 1)); done
  [ "$failed" = 0 ] || die "topic creation failed"
  log "topics: $created created, $(grep -c . <<<"$specs") defined in topics.yaml"
}

start() {
  if running_pid >/dev/null; then echo "$BOOTSTRAP"; return 0; fi
  # Two concurrent starts (parallel CI steps): the second waits here, then finds the broker running.
  mkdir -p "$KAFKA_DATA"
  exec 8>"$KAFKA_DATA/.start.lock"
  if command -v flock >/dev/null; then flock 8; fi
  if running_pid >/dev/null; then echo "$BOOTSTRAP"; return 0; fi
  check_java
  resolve_jars
  if port_open "$KAFKA_PORT" || port_open "$KAFKA_CONTROLLER_PORT"; then
    die "port $KAFKA_PORT or $KAFKA_CONTROLLER_PORT is taken by another process (set KAFKA_PORT/KAFKA_CONTROLLER_PORT)"
  fi
  write_config
  format_storage
  log "starting Kafka $KAFKA_VERSION (log: $LOG_FILE)"
  echo "==== $(date -u +%FT%TZ) start" >>"$LOG_FILE"
  rm -f "$PID_FILE" # a crashed run's pid file must not be mistaken for the new one
  # setsid: the broker gets its own session, so it outlives this shell and its job control; the inner
  # shell writes its own pid and then becomes java (exec), so the pid file names the JVM itself.
  # shellcheck disable=SC2086,SC2016 # HEAP_OPTS is a list of JVM flags; $$ and $0 belong to the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
    "$JAVA_BIN" $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DATA/log4j2-broker.properties" -Dkafka.logs.dir="$KAFKA_DATA" \
    -cp "$LIB/*" kafka.Kafka "$PROPS" </dev/null >>"$LOG_FILE" 2>&1 8>&- &
  local pid="" _
  for _ in $(seq 50); do
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"; [ -n "$pid" ] && break; sleep 0.1
  done
  [ -n "$pid" ] || die "broker did not start (log: $LOG_FILE)"
  wait_ready "$pid"
  create_topics
  echo "$BOOTSTRAP"
}

stop() {
  local pid
  pid="$(running_pid)" || { rm -f "$PID_FILE"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "broker pid $pid still up after ${STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$PID_FILE"
}

status() {
  local pid
  if pid="$(running_pid)"; then echo "running pid $pid bootstrap $BOOTSTRAP"; else echo "stopped"; return 3; fi
}

topics() {
  running_pid >/dev/null || die "broker not running: $0 start"
  resolve_jars
  write_config
  create_topics
}

reset() {
  stop
  rm -rf "$KAFKA_DATA"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  topics) topics ;;
  bootstrap) echo "$BOOTSTRAP" ;;
  reset) reset ;;
  *) echo "usage: $0 start|stop|status|topics|bootstrap|reset" >&2; exit 2 ;;
esac
