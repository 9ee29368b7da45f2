#!/usr/bin/env bash
# Resolve Apache Kafka (KRaft) jars from Maven Central into a cache folder, once per version.
#
#   deploy/kafka/fetch.sh            # prints the folder of jars (QINGLIU_KAFKA_LIB)
#   QINGLIU_KAFKA_CACHE=/some/dir deploy/kafka/fetch.sh
#
# The version is the <kafka.version> of deploy/kafka/pom.xml.  A later run with the jars in place
# does nothing (no network); Maven's own ~/.m2 cache makes a re-fetch after a wipe cheap too.
# service/kafka_local.py looks in the same place, so tests and `qingliu dev --broker kafka` find it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pom="$here/pom.xml"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom" | head -n1)"
[ -n "$version" ] || { echo "fetch.sh: no <kafka.version> in $pom" >&2; exit 2; }
cache="${QINGLIU_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qingliu/kafka}"
lib="$cache/$version/lib"
stamp="$lib/.complete"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(sha256sum "$pom" | cut -d' ' -f1)" ]; then
    echo "$lib"
    exit 0
fi
command -v java >/dev/null || { echo "fetch.sh: java not found (Kafka $version needs Java 17+)" >&2; exit 3; }
command -v mvn >/dev/null || { echo "fetch.sh: mvn not found (apt-get install maven)" >&2; exit 3; }

tmp="$cache/$version/lib.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
echo "fetch.sh: resolving Apache Kafka $version from Maven Central into $lib" >&2
# -o first: works without network when ~/.m2 already has everything.
if ! mvn -q -B -Dstyle.color=never -o -f "$pom" dependency:copy-dependencies "-Dkafka.lib=$tmp" >/dev/null 2>&1; then
    mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies "-Dkafka.lib=$tmp" >&2
fi
ls "$tmp"/kafka_2.13-"$version".jar >/dev/null
sha256sum "$pom" | cut -d' ' -f1 >"$tmp/.complete"
rm -rf "$lib"
mv "$tmp" "$lib"
trap - EXIT
echo "$lib"
