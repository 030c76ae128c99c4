#!/usr/bin/env bash
# Faults suite (issue 8): real Maven builds of a small consumer project (a copy of src/it/ship-pruned-model)
# under a full disk, a read-only target/, two concurrent builds of one module, and builds killed with SIGKILL at
# spread-out moments. Prints one line per case and a summary; exits 1 if any case breaks its promise.
#
# Needs: Linux, root (it mounts small tmpfs file systems), and `mvn -B verify` run first, which installs the
# plugin into target/local-repo (the builds here run offline against that repository).
# Usage: tools/faults/run.sh [number of kill cases, default 12]
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
REPO=$ROOT/target/local-repo
WORK=$ROOT/target/faults
KILLS=${1:-12}
# -llr: the repository was filled by the ITs through another repository id; offline, take what is there.
MVN=(mvn -B -o -llr -Dmaven.repo.local="$REPO")
FAILED=0

if [ "$(id -u)" != 0 ]; then echo "needs root to mount tmpfs"; exit 2; fi
if ! ls "$REPO"/io/github/onnxprune/onnx-prune-maven-plugin >/dev/null 2>&1; then
  echo "run mvn -B verify first (it installs the plugin into target/local-repo)"; exit 2
fi
VERSION=$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)

# A fresh copy of the consumer project in $1.
project() {
  rm -rf "$1"; mkdir -p "$1"
  cp -r src/it/ship-pruned-model/src "$1/"
  sed -e "s/@project.groupId@/io.github.onnxprune/" -e "s/@project.artifactId@/onnx-prune-maven-plugin/" \
      -e "s/@project.version@/$VERSION/" src/it/ship-pruned-model/pom.xml > "$1/pom.xml"
}
sha() { sha256sum "$1" | cut -c1-64; }
entry_sha() { unzip -p "$1" models/digits.onnx | sha256sum | cut -c1-64; }
message() { sed -n 's/.*\(onnx-prune could not read or write a file: .*\)\. Every file.*/\1/p' "$1" | head -1; }
temporaries() { find "$1" -name '*.onnx-prune-*.tmp' | wc -l; }
verdict() { # case, ok(0/1), details
  if [ "$2" = 0 ]; then echo "PASS  $1: $3"; else echo "FAIL  $1: $3"; FAILED=1; fi
}
cleanup_mounts() { for m in $(mount | awk -v w="$WORK" '$3 ~ "^"w {print $3}' | sort -r); do umount "$m"; done; }
trap cleanup_mounts EXIT
cleanup_mounts
mkdir -p "$WORK"

# The original model and what a normal build ships, for comparing.
P=$WORK/reference; project "$P"
"${MVN[@]}" -q -f "$P" package >"$WORK/reference.log" 2>&1 || { echo "reference build failed"; cat "$WORK/reference.log"; exit 1; }
ORIGINAL=$(sha "$P/src/main/resources/models/digits.onnx")
PRUNED=$(entry_sha "$P/target/ship-pruned-model-1.0.jar")
SOURCE_TREE=$(cd "$P/src" && find . -type f -exec sha256sum {} + | sort | sha256sum | cut -c1-64)

# 1. Disk full while writing: target/ on a 1 MiB tmpfs, filled up after jar:jar so that only a few KiB are left.
P=$WORK/disk-full; project "$P"; mkdir -p "$P/target"; mount -t tmpfs -o size=1m tmpfs "$P/target"
"${MVN[@]}" -q -f "$P" package -Donnx-prune.skip >"$WORK/disk-full-1.log" 2>&1
JAR=$P/target/ship-pruned-model-1.0.jar; BEFORE=$(sha "$JAR")
FREE=$(df --output=avail -B1 "$P/target" | tail -1)
fallocate -l $((FREE - 12288)) "$P/target/filler" 2>/dev/null || dd if=/dev/zero of="$P/target/filler" bs=4096 count=$(((FREE - 12288) / 4096)) 2>/dev/null
"${MVN[@]}" -f "$P" package >"$WORK/disk-full-2.log" 2>&1; RC=$?
MESSAGE=$(message "$WORK/disk-full-2.log")
OK=1; [ $RC != 0 ] && [ "$(sha "$JAR")" = "$BEFORE" ] && [ "$(temporaries "$P")" = 0 ] \
  && grep -q 'No space left on device' "$WORK/disk-full-2.log" && OK=0
verdict "disk full" $OK "build failed ($RC), jar byte-identical, no temporary file left; message: $MESSAGE"
rm -f "$P/target/filler"
"${MVN[@]}" -q -f "$P" package >"$WORK/disk-full-3.log" 2>&1; RC=$?
OK=1; [ $RC = 0 ] && [ "$(entry_sha "$JAR")" = "$PRUNED" ] && OK=0
verdict "disk full, then space again" $OK "next build succeeded ($RC) and shipped the pruned model"

# 2. A read-only output folder: target/onnx-prune on a tmpfs remounted read-only after a first build. (A wholly
#    read-only target/ already stops maven-resources-plugin, which copies resources on every build.)
P=$WORK/read-only; project "$P"; mkdir -p "$P/target/onnx-prune"; mount -t tmpfs -o size=4m tmpfs "$P/target/onnx-prune"
"${MVN[@]}" -q -f "$P" package >"$WORK/read-only-1.log" 2>&1
JAR=$P/target/ship-pruned-model-1.0.jar; BEFORE=$(sha "$JAR")
mount -o remount,ro "$P/target/onnx-prune"
"${MVN[@]}" -f "$P" package -Donnx-prune.force >"$WORK/read-only-2.log" 2>&1; RC=$?
MESSAGE=$(message "$WORK/read-only-2.log")
OK=1; [ $RC != 0 ] && [ "$(sha "$JAR")" = "$BEFORE" ] && [ -n "$MESSAGE" ] \
  && ! grep -q 'at io.github.onnxprune' "$WORK/read-only-2.log" && OK=0
verdict "read-only output folder" $OK "build failed ($RC), jar byte-identical; message: $MESSAGE"
umount "$P/target/onnx-prune"

# 3. Two concurrent builds of one module (forced, so both prune and write).
P=$WORK/concurrent; project "$P"
"${MVN[@]}" -q -f "$P" package >"$WORK/concurrent-0.log" 2>&1
"${MVN[@]}" -f "$P" package -Donnx-prune.force >"$WORK/concurrent-1.log" 2>&1 & A=$!
"${MVN[@]}" -f "$P" package -Donnx-prune.force >"$WORK/concurrent-2.log" 2>&1 & B=$!
wait $A; RA=$?; wait $B; RB=$?
JAR=$P/target/ship-pruned-model-1.0.jar
OK=1; [ $RA = 0 ] && [ $RB = 0 ] && [ "$(entry_sha "$JAR")" = "$PRUNED" ] && unzip -tq "$JAR" >/dev/null \
  && [ "$(temporaries "$P")" = 0 ] && OK=0
verdict "two concurrent builds" $OK "exit codes $RA and $RB, jar valid and holding the pruned model, no temporary file"

# 4. Builds killed with SIGKILL at spread-out moments; after each, the jar holds the original or the pruned model
#    (never anything else, never a broken zip), the sources are unchanged, and the next build succeeds.
P=$WORK/killed; project "$P"
"${MVN[@]}" -q -f "$P" package -Donnx-prune.skip >"$WORK/killed-0.log" 2>&1
JAR=$P/target/ship-pruned-model-1.0.jar
declare -A SEEN=([original]=0 [pruned]=0 [other]=0)
ORPHANS=0
for i in $(seq 1 "$KILLS"); do
  # Alternate a pruned jar and a rebuilt (original) one, so kills land in runs that restore as well as prune.
  if [ $((i % 2)) = 0 ]; then ARGS=(-Donnx-prune.skip); else ARGS=(-Donnx-prune.force); fi
  "${MVN[@]}" -q -f "$P" package "${ARGS[@]}" >"$WORK/killed-$i.log" 2>&1 & M=$!
  # A build takes about 8 s here (Maven's start included): kills spread from 2 s to 10 s.
  DELAY=$(awk -v i="$i" -v n="$KILLS" 'BEGIN { printf "%.2f", 2 + 8 * (i - 1) / n }')
  sleep "$DELAY"
  # mvn execs java, so $M is the build's JVM.
  kill -KILL $M 2>/dev/null; wait $M 2>/dev/null
  STATE=other
  if unzip -tq "$JAR" >/dev/null 2>&1; then
    case $(entry_sha "$JAR") in "$ORIGINAL") STATE=original;; "$PRUNED") STATE=pruned;; esac
  fi
  SEEN[$STATE]=$((SEEN[$STATE] + 1))
  ORPHANS=$((ORPHANS + $(temporaries "$P")))
  [ "$STATE" = other ] && verdict "killed at ${DELAY}s" 1 "the jar is broken or holds something else"
done
"${MVN[@]}" -q -f "$P" package >"$WORK/killed-after.log" 2>&1; RC=$?
OK=1; [ $RC = 0 ] && [ "$(entry_sha "$JAR")" = "$PRUNED" ] && [ "$(temporaries "$P")" = 0 ] \
  && [ "$(cd "$P/src" && find . -type f -exec sha256sum {} + | sort | sha256sum | cut -c1-64)" = "$SOURCE_TREE" ] \
  && [ "${SEEN[other]}" = 0 ] && OK=0
verdict "$KILLS killed builds" $OK "jar afterwards: ${SEEN[original]} original, ${SEEN[pruned]} pruned, ${SEEN[other]} broken; $ORPHANS temporary files seen after kills, all removed by the next build ($RC); sources unchanged"

[ $FAILED = 0 ] && echo "faults suite: all cases passed" || echo "faults suite: FAILED"
exit $FAILED
