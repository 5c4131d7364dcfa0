#!/usr/bin/env bash
# Make sure the real servers the integration tests use are running on loopback:
# PostgreSQL on 127.0.0.1:5432 and NATS (JetStream) on 127.0.0.1:4222. Starts what is missing.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
py="$here/.venv/bin/python"

listening() { "$py" - "$1" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(0.5)
try:
    s.connect(("127.0.0.1", int(sys.argv[1]))); print("yes")
except OSError:
    print("no")
PY
}

wait_for() { for _ in $(seq 1 60); do [ "$(listening "$1")" = yes ] && return 0; sleep 0.5; done; return 1; }

if [ "$(listening 5432)" != yes ]; then
  echo "starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  wait_for 5432 || { echo "PostgreSQL is not running on 127.0.0.1:5432 and could not be started" >&2; exit 1; }
fi

if [ "$(listening 4222)" != yes ]; then
  echo "starting NATS JetStream"
  mkdir -p "$here/.tradelane/nats"
  nats_bin=$(command -v nats-server || echo "$here/.venv/bin/nats-server")
  nohup "$nats_bin" -a 127.0.0.1 -p 4222 -js -sd "$here/.tradelane/nats" >"$here/.tradelane/nats.log" 2>&1 &
  wait_for 4222 || { echo "NATS could not be started on 127.0.0.1:4222" >&2; exit 1; }
fi
echo "services: PostgreSQL and NATS are up"
