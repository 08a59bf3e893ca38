# Shared by the fault scripts that run throwaway PostgreSQL clusters
# (pg_outage.sh, replica.sh): source it after `cd` to the repository root,
# with BIN set to the rbpk binary.

PGBIN=/usr/lib/postgresql/15/bin
# initdb refuses root: the clusters run as this system user.
PGUSER_OS=rbpkpg

say() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
pg_as() { su -s /bin/bash "$PGUSER_OS" -c "$*"; }

# Builds the release binary unless SKIP_BUILD is set or BIN is another one.
release_binary() {
  [ -x "$PGBIN/initdb" ] || fail "PostgreSQL 15 server binaries not found in $PGBIN (apt-get install postgresql-15)"
  if [ -z "${SKIP_BUILD:-}" ] && [ "$BIN" = target/release/rbpk ]; then
    say "build (release)"
    cargo build --release -q
  fi
  [ -x "$BIN" ] || fail "no binary at $BIN"
}

# The system user of the throwaway clusters, made once.
throwaway_pg_user() {
  id "$PGUSER_OS" >/dev/null 2>&1 \
    || useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS" \
    || fail "useradd $PGUSER_OS failed"
}

# Stops the cluster in data directory $1 at once if it runs (cleanup, or a
# leftover of an interrupted run: only ours, its data dir is ours).
pg_kill() {
  if [ -f "$1/postmaster.pid" ]; then
    pg_as "$PGBIN/pg_ctl -D $1 -m immediate -w -t 30 stop" >/dev/null 2>&1 || true
  fi
}

# Waits up to 120 s for `rbpk serve` (pid $1, log $2) to answer ready on $3.
serve_ready() {
  for i in $(seq 1 240); do
    kill -0 "$1" 2>/dev/null || { tail -20 "$2" >&2; fail "rbpk serve exited at start"; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$3/health/ready")" = 200 ] && return 0
    sleep 0.5
  done
  fail "rbpk serve not ready within 120 s"
}
