#!/usr/bin/env bash
# Builds the MiniLM benchmark once per argument, one after the other, and prints one block of figures per build:
# the goal's own time (from the prune goal's first log line to BUILD SUCCESS), the whole build's CPU (user + system)
# and peak resident memory from /usr/bin/time, the load average before and after, the model's row of the build's
# table (metric, latency, sizes) and the shipped model's sha256.
#
#   benchmarks/minilm/measure.sh [-r <local repository>] "<mvn arguments>" ...
#   benchmarks/minilm/measure.sh "-P no-data" "-P no-data" "-P reconstruct" \
#       "opts=-Xmx2g|-P reconstruct,allocated-by-hand,calibration-2800"
#
# An argument "opts=<MAVEN_OPTS>|<mvn arguments>" sets MAVEN_OPTS for that build only. Each build is a
# `clean package`: a plain `package` reuses the kept archive and measures nothing. Logs stay in $MEASURE_LOGS
# (default /tmp/minilm-measure). Figures mean something only on a quiet machine: run nothing else beside it.
set -euo pipefail
cd "$(dirname "$0")/../.."

repo_args=()
if [[ ${1:-} == -r ]]; then
  repo_args=(-Dmaven.repo.local="$2")
  shift 2
fi
if [[ $# -eq 0 ]]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
logs=${MEASURE_LOGS:-/tmp/minilm-measure}
mkdir -p "$logs"
shipped=benchmarks/minilm/target/onnx-prune/models/models/all-minilm-l6-v2.onnx

seconds_of() { # HH:mm:ss.SSS -> seconds
  IFS=:. read -r h m s ms <<<"$1"
  echo $((10#$h * 3600 + 10#$m * 60 + 10#$s)).$ms
}

run=0
for spec in "$@"; do
  run=$((run + 1))
  opts=${MAVEN_OPTS:-}
  args=$spec
  if [[ $spec == opts=*'|'* ]]; then
    opts=${spec%%|*}
    opts=${opts#opts=}
    args=${spec#*|}
  fi
  log="$logs/build-$run.log"
  timing="$logs/time-$run.txt"
  before=$(cut -d' ' -f1 /proc/loadavg)
  # shellcheck disable=SC2086 # the arguments are a list of mvn options on purpose
  if ! MAVEN_OPTS="$opts" /usr/bin/time -v -o "$timing" mvn -B -f benchmarks/minilm clean package \
      "${repo_args[@]}" $args -Dorg.slf4j.simpleLogger.showDateTime=true \
      -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS >"$log" 2>&1; then
    echo "== $spec: the build failed, see $log" >&2
    continue
  fi
  after=$(cut -d' ' -f1 /proc/loadavg)
  start=$(grep -m1 -E 'onnx-prune-maven-plugin:[^ ]+:prune ' "$log" | cut -d' ' -f1)
  end=$(grep -m1 'BUILD SUCCESS' "$log" | cut -d' ' -f1)
  goal=$(awk -v a="$(seconds_of "$start")" -v b="$(seconds_of "$end")" \
    'BEGIN { d = b - a; if (d < 0) d += 86400; printf "%.2f", d }')
  cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.1f", u + s }' "$timing")
  rss=$(awk -F': ' '/Maximum resident/ { printf "%.2f", $2 / 1048576 }' "$timing")
  row=$(grep -m1 'all-minilm-l6-v2.onnx  ' "$log" | sed 's/.*\[INFO\] //')
  sha=-
  [[ -f $shipped ]] && sha=$(sha256sum "$shipped" | cut -c1-8)
  echo "== ${opts:+MAVEN_OPTS=$opts }$args"
  echo "goal ${goal} s, build CPU ${cpu} s, peak RSS ${rss} GB, load ${before} -> ${after}, shipped ${sha}"
  echo "$row"
done
