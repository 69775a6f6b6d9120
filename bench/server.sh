# Sourced by the benchmark scripts: uses BENCH_DATABASE_URL, or starts a throwaway PostgreSQL on
# loopback in $OUT/pg from the machine's binaries (stopped on exit); then defines the helpers.
if [ -z "${BENCH_DATABASE_URL:-}" ]; then
  PGDIR=$(pwd)/$OUT/pg
  PORT=${BENCH_PORT:-55432}
  as_pg=()
  if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi # initdb refuses to run as root
  rm -rf "$PGDIR" && mkdir -p "$PGDIR"
  if [ ${#as_pg[@]} -gt 0 ]; then chown postgres "$PGDIR"; fi
  "${as_pg[@]}" initdb -D "$PGDIR/data" -U postgres -A trust -E UTF8 >/dev/null
  "${as_pg[@]}" pg_ctl -D "$PGDIR/data" -l "$PGDIR/log" -w start \
    -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c max_wal_size=8GB -c checkpoint_timeout=30min" >/dev/null
  trap '"${as_pg[@]}" pg_ctl -D "$PGDIR/data" -m fast -w stop >/dev/null' EXIT
  BENCH_DATABASE_URL="postgresql://postgres@127.0.0.1:$PORT/postgres"
fi
ADMIN=$BENCH_DATABASE_URL
BENCH_DB="${ADMIN%/*}/intake_bench"
psql_admin() { psql "$ADMIN" -X -q -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.4f\", $1 }"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
