# Run by .ci/run at exit: stop the server .ci/setup-postgres.sh started and remove its files.
if [ -n "${MLPBENCH_PG_DIR:-}" ] && [ -d "$MLPBENCH_PG_DIR/data" ]; then
    su postgres -s /bin/sh -c "'$MLPBENCH_PG_BIN/pg_ctl' -D '$MLPBENCH_PG_DIR/data' -m fast -w stop >/dev/null" || true
    rm -rf "$MLPBENCH_PG_DIR"
fi
