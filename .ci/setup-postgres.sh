# Sourced by .ci/run (as root, set -euo pipefail): a PostgreSQL server on loopback for
# tests/test_distributed.py. Installs the Debian package if missing, starts a private
# cluster listening on 127.0.0.1 only, creates a user and database, exports MLPBENCH_PG_URL.
# .ci/teardown-postgres.sh stops it.

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
MLPBENCH_PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
MLPBENCH_PG_DIR="$(mktemp -d /tmp/mlpbench-pg.XXXXXX)"
MLPBENCH_PG_PORT="${MLPBENCH_PG_PORT:-55432}"
export MLPBENCH_PG_BIN MLPBENCH_PG_DIR MLPBENCH_PG_PORT
chown postgres: "$MLPBENCH_PG_DIR"
su postgres -s /bin/sh -c "'$MLPBENCH_PG_BIN/initdb' -D '$MLPBENCH_PG_DIR/data' -A trust -U postgres >/dev/null"
# The settings live in the cluster's own postgresql.conf, so a test can stop and start it with
# plain pg_ctl (tests/test_db_restart.py) and widen listen_addresses with ALTER SYSTEM for the
# addresses it creates itself (tests/test_hosts.py); nothing here listens beyond loopback.
cat >> "$MLPBENCH_PG_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $MLPBENCH_PG_PORT
unix_socket_directories = '$MLPBENCH_PG_DIR'
max_connections = 200
CONF
su postgres -s /bin/sh -c "'$MLPBENCH_PG_BIN/pg_ctl' -D '$MLPBENCH_PG_DIR/data' -l '$MLPBENCH_PG_DIR/log' -w start >/dev/null"
su postgres -s /bin/sh -c "'$MLPBENCH_PG_BIN/psql' -q -h '$MLPBENCH_PG_DIR' -p $MLPBENCH_PG_PORT -U postgres \
    -c \"CREATE ROLE mlpbench LOGIN PASSWORD 'mlpbench-ci'\" -c 'CREATE DATABASE mlpbench OWNER mlpbench'"
# Password authentication over TCP (initdb -A trust applies to the socket; TCP as below).
echo "host all all 127.0.0.1/32 scram-sha-256" > "$MLPBENCH_PG_DIR/data/pg_hba.conf"
echo "local all postgres trust" >> "$MLPBENCH_PG_DIR/data/pg_hba.conf"
su postgres -s /bin/sh -c "'$MLPBENCH_PG_BIN/pg_ctl' -D '$MLPBENCH_PG_DIR/data' reload >/dev/null"
export MLPBENCH_PG_URL="postgresql://mlpbench:mlpbench-ci@127.0.0.1:$MLPBENCH_PG_PORT/mlpbench"
echo "PostgreSQL $("$MLPBENCH_PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$MLPBENCH_PG_PORT (MLPBENCH_PG_URL)"
