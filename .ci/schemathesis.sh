#!/usr/bin/env bash
# Schemathesis against the running app, anonymously and as a curator: 0 server errors and
# 0 conformance failures, every check on.
#
#   .ci/schemathesis.sh sqlite|postgres
#
# Serves a fresh database with the seed loaded on 127.0.0.1 (a free port), runs schemathesis
# against /api/v1/schema/ with a bounded number of examples per operation, stops the server,
# and writes its reports to var/schemathesis/<database>/. Nothing leaves the machine.
# SCHEMATHESIS_MAX_EXAMPLES (default 10), SCHEMATHESIS_SEED (default 1) and, for PostgreSQL,
# SCHEMATHESIS_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/tracker_schemathesis,
# dropped and created anew) tune a run.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

engine="${1:?usage: .ci/schemathesis.sh sqlite|postgres}"
max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-10}"
seed="${SCHEMATHESIS_SEED:-1}"
out="var/schemathesis/$engine"
rm -rf "$out"
mkdir -p "$out"

case "$engine" in
  sqlite)
    database_url="sqlite:///$PWD/$out/db.sqlite3"
    ;;
  postgres)
    database_url="${SCHEMATHESIS_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/tracker_schemathesis}"
    name="${database_url##*/}"
    dropdb -h 127.0.0.1 -U postgres --if-exists "$name"
    createdb -h 127.0.0.1 -U postgres "$name"
    ;;
  *)
    echo "unknown database: $engine (sqlite or postgres)" >&2
    exit 2
    ;;
esac

# Served as in production (DEBUG off), on the loopback address only. The anonymous rate is
# raised so that the run tests the API rather than its throttle (a 429 is documented all the same).
export DATABASE_URL="$database_url" DEBUG=0 SECRET_KEY="schemathesis-run-only" ALLOWED_HOSTS=127.0.0.1
export API_ANON_RATE="100000/minute"
py=.venv/bin/python

$py manage.py migrate --noinput -v 0
$py manage.py load_seed -v 0
$py manage.py setup_roles -v 0
DJANGO_SUPERUSER_PASSWORD="$(head -c 24 /dev/urandom | base64)" \
  $py manage.py createsuperuser --noinput --username schemathesis --email schemathesis@localhost.localdomain -v 0
token="$($py manage.py issue_token schemathesis --user schemathesis --days 1 --read-write -v 0)"

port="$($py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
$py manage.py runserver "127.0.0.1:$port" --noreload >"$out/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 60); do
  curl -sf -o /dev/null "$base/api/v1/schema/" && break
  kill -0 "$server" 2>/dev/null || { cat "$out/server.log" >&2; exit 1; }
  sleep 0.5
done

status=0
for who in anonymous curator; do
  auth=()
  [ "$who" = curator ] && auth=(-H "Authorization: Token $token")
  echo "== schemathesis ($engine, $who): $max_examples examples per operation"
  # Run from var/: schemathesis keeps its crash cache (.schemathesis/) in its working directory.
  # The examples bound a run; `timeout` ends one that would run away all the same.
  if ! (cd "$out" && timeout 900 "$root/.venv/bin/schemathesis" --config-file "$root/.ci/schemathesis.toml" \
    run "$base/api/v1/schema/" \
    --url "$base" \
    "${auth[@]}" \
    --checks all \
    --max-examples "$max_examples" \
    --seed "$seed" \
    --workers 1 \
    --request-timeout 20 \
    --generation-database none \
    --report junit,ndjson \
    --report-dir "$who" \
    --no-color >"$who.txt" 2>&1); then
    status=1
  fi
  # The summary: totals, and every failure, when there are any.
  sed -n '/^=* SUMMARY =*$/,$p' "$out/$who.txt"
done
echo "== reports in $out/"
exit $status
