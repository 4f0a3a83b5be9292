#!/usr/bin/env bash
# Make sure what the test suite talks to is installed and running: PostgreSQL (trust auth on
# 127.0.0.1:5432), Redis (127.0.0.1:6379), Debian's Chromium (for the agent-page tests) and a
# docker compose client (to validate docker-compose.yml; no Docker engine is needed) and
# promtool (Debian's prometheus package) for the alerting rules.
# Idempotent: on a prepared machine it only checks. Needs root (or sudo) to install.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
missing=()
command -v psql >/dev/null 2>&1 || missing+=(postgresql postgresql-client)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# `docker compose config` validates docker-compose.yml without an engine; Debian 12 has only v1.
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  missing+=(docker-compose)
fi
# promtool checks deploy/prometheus/alerts.yml and runs its rule unit tests.
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-services: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "ensure-services: starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba="/etc/postgresql/${version}/main/pg_hba.conf"
  # The tests connect as postgres over TCP without a password, like the machines they run on.
  if ! grep -q "acd-test-trust" "$hba"; then
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust # acd-test-trust\nhost all all ::1/128 trust # acd-test-trust\nlocal all all trust # acd-test-trust' "$hba"
  fi
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || $SUDO pg_ctlcluster "$version" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.5; done
fi
pg_isready -h 127.0.0.1 -p 5432 >/dev/null

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "ensure-services: starting Redis"
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/acd-tests.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null
echo "ensure-services: PostgreSQL, Redis and Chromium are ready"
