#!/usr/bin/env bash
# The whole test suite on a fresh machine (what CI runs through .ci/run):
#   1. a virtual environment in .venv (reused when present) with the package and its test extras;
#   2. the Apache Kafka tier's jars via deploy/kafka/fetch.sh, when that script exists, and
#      Debian's headless chromium for the review page tests when missing (as root, apt-get);
#   3. ruff, then pytest (all tests, slow and integration included), test files in parallel.
# Extra arguments go to pytest, e.g. `bash deploy/test.sh -m "not slow"`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
venv="${QINGLIU_VENV:-$root/.venv}"

if [ ! -x "$venv/bin/python" ]; then
    echo "test.sh: creating $venv" >&2
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e ".[test]"

# Headless Chromium for the review page's browser tests (they skip, saying so, without it); a
# CJK font so that its screenshot shows the posts.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing Chromium for the review page tests (apt-get)" >&2
    apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        chromium fonts-wqy-zenhei >/dev/null || echo "test.sh: WARNING: chromium not installed" >&2
fi

fetch="$root/deploy/kafka/fetch.sh"
if [ -f "$fetch" ]; then
    if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "test.sh: installing Java and Maven for the Kafka tier (apt-get)" >&2
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                default-jre-headless maven >/dev/null
        fi
    fi
    if lib="$(bash "$fetch")"; then
        export QINGLIU_KAFKA_LIB="$lib"
        echo "test.sh: Kafka jars in $lib" >&2
    elif [ "${QINGLIU_REQUIRE_KAFKA:-0}" = 1 ]; then
        echo "test.sh: deploy/kafka/fetch.sh failed and QINGLIU_REQUIRE_KAFKA=1" >&2
        exit 1
    else
        echo "test.sh: WARNING: deploy/kafka/fetch.sh failed; Kafka-tier tests will skip" >&2
    fi
fi

echo "test.sh: ruff" >&2
"$venv/bin/ruff" check .

# Test files run in parallel processes (pytest-xdist), each file whole in one process: most broker
# tests wait on brokers and workers rather than on the CPU, so three processes fit two cores.
# QINGLIU_TEST_WORKERS=0 runs everything in this process.
workers="${QINGLIU_TEST_WORKERS:-3}"
echo "test.sh: pytest ($workers parallel processes)" >&2
set +e
"$venv/bin/python" -m pytest -q -p no:cacheprovider -n "$workers" --dist loadfile "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "test.sh: pytest collected no tests (exit 5): treating as a failure" >&2
fi

# The broker-facing stream suite once more, on Apache Kafka instead of the embedded broker.
if [ "$status" -eq 0 ] && [ -n "${QINGLIU_KAFKA_LIB:-}" ] && [ "$#" -eq 0 ]; then
    echo "test.sh: pytest tests/stream again on Apache Kafka (QINGLIU_TEST_BROKER=kafka)" >&2
    set +e
    QINGLIU_TEST_BROKER=kafka "$venv/bin/python" -m pytest -q -p no:cacheprovider \
        -n "$workers" --dist loadfile tests/stream -m "not slow"
    status=$?
    set -e
fi
exit "$status"
