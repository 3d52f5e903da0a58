#!/usr/bin/env bash
# Download the JVM artifacts the project needs into the cache (only if missing):
#   scripts/fetch_artifacts.sh [jars]     (jars: only (a), as the Docker image build does)
#   $CACHE/jars/      Flink Pulsar connector + its runtime deps (pulsar-client-all), for pipeline.jars
#   $CACHE/pulsar/    Apache Pulsar binary distribution (standalone broker), unpacked
#   $CACHE/jvm/       the project's own JVM module (jvm/), built from source with Maven
# Everything comes from Maven Central. Prints `export ...` lines usable with eval.
set -euo pipefail

CACHE="${TIMELINE_CACHE:-$HOME/.cache/timeline-flink}"
CONNECTOR_VERSION="${CONNECTOR_VERSION:-4.1.0-1.18}"   # org.apache.flink:flink-connector-pulsar
PULSAR_VERSION="${PULSAR_VERSION:-4.0.8}"              # org.apache.pulsar:pulsar-server-distribution:tar.gz:bin

log() { echo "fetch_artifacts: $*" >&2; }
mkdir -p "$CACHE"

# --- (a) connector jars, resolved transitively by Maven -------------------------------
JARS="$CACHE/jars/flink-connector-pulsar-$CONNECTOR_VERSION"
if [[ ! -f "$JARS/.complete" ]]; then
  log "resolving flink-connector-pulsar:$CONNECTOR_VERSION with Maven"
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
  cat > "$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>timeline-flink</groupId><artifactId>jars</artifactId><version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.flink</groupId><artifactId>flink-connector-pulsar</artifactId>
      <version>$CONNECTOR_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
  rm -rf "$JARS" && mkdir -p "$JARS"
  # slf4j-api is provided by Flink itself; keep it off the user classpath.
  if ! mvn -B -f "$work/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DexcludeArtifactIds=slf4j-api \
      -DoutputDirectory="$JARS" > "$work/mvn.log" 2>&1; then
    tail -40 "$work/mvn.log" >&2; exit 1
  fi
  # Maven checks the sha1 of every download; double-check the jars open.
  for j in "$JARS"/*.jar; do unzip -tq "$j" >/dev/null || { log "corrupt jar $j"; exit 1; }; done
  touch "$JARS/.complete"
fi

# --- (b) Pulsar binary distribution ------------------------------------------------------
PULSAR_HOME="$CACHE/pulsar/apache-pulsar-$PULSAR_VERSION"
if [[ "${1:-}" != jars && ! -x "$PULSAR_HOME/bin/pulsar" ]]; then
  tgz="$CACHE/pulsar/pulsar-server-distribution-$PULSAR_VERSION-bin.tar.gz"
  mkdir -p "$CACHE/pulsar"
  if [[ ! -f "$tgz" ]]; then
    log "downloading Pulsar $PULSAR_VERSION (~245 MB) with Maven"
    mvn -B -q dependency:copy \
      -Dartifact="org.apache.pulsar:pulsar-server-distribution:$PULSAR_VERSION:tar.gz:bin" \
      -DoutputDirectory="$CACHE/pulsar" -Dmdep.overWriteReleases=true >&2
  fi
  log "unpacking Pulsar into $CACHE/pulsar"
  rm -rf "$PULSAR_HOME"
  tar -xzf "$tgz" -C "$CACHE/pulsar"
  [[ -x "$PULSAR_HOME/bin/pulsar" ]] || { log "unexpected tarball layout"; exit 1; }
  rm -f "$tgz"   # the unpacked tree is what we use
fi

# --- (c) the project's JVM module, rebuilt whenever its sources change -------------------
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JVM_HASH="$(cd "$ROOT/jvm" && find pom.xml src -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)"
JVM_JAR="$CACHE/jvm/timeline-jvm-$JVM_HASH.jar"
if [[ ! -f "$JVM_JAR" ]]; then
  log "building jvm/ with Maven"
  build="$(mktemp -d)"
  cp -r "$ROOT/jvm/pom.xml" "$ROOT/jvm/src" "$build/"
  if ! mvn -B -q -f "$build/pom.xml" package -DskipTests > "$build/mvn.log" 2>&1; then
    tail -40 "$build/mvn.log" >&2; rm -rf "$build"; exit 1
  fi
  mkdir -p "$CACHE/jvm" && mv "$build/target/timeline-jvm.jar" "$JVM_JAR" && rm -rf "$build"
fi

# pipeline.jars wants ';'-separated file:// URLs
PIPELINE_JARS="$(for j in "$JARS"/*.jar "$JVM_JAR"; do printf 'file://%s;' "$j"; done)"
echo "export TIMELINE_CACHE='$CACHE'"
echo "export PULSAR_HOME='$PULSAR_HOME'"
echo "export FLINK_PULSAR_JARS='${PIPELINE_JARS%;}'"
