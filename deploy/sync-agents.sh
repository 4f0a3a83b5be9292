#!/usr/bin/env bash
# sync-agents.sh: regenerate Asterisk's agent endpoints from acd's database and reload PJSIP.
#
#   deploy/sync-agents.sh [--compose] [--allow-empty]
#
# Host install (default; run as root, e.g. by the acd-sync-agents systemd timer):
#   1. runs `acd asterisk pjsip-agents` (override with ACD_PJSIP_AGENTS_CMD, e.g.
#      "runuser -u acd -- /opt/acd/venv/bin/acd asterisk pjsip-agents"), which reads the
#      enabled agents from PostgreSQL, decrypts their SIP secrets with the database secret key
#      and prints one endpoint/aor/auth trio per agent (format: end of asterisk_conf/pjsip.conf);
#   2. if the output differs from /etc/asterisk/acd/pjsip_agents.conf, replaces that file
#      atomically (0640 root:asterisk) and runs `asterisk -rx 'module reload res_pjsip.so'`.
# --compose: the same against the docker-compose stack: generates inside the "acd" container,
#   writes into the "asterisk" container's /etc/asterisk/acd volume, reloads there.
#
# Safety: nothing is replaced when the generator fails, and an output with no agent at all
# is refused while the current file has agents (a broken database must not unregister the
# whole floor) unless --allow-empty is given. Registrations of unchanged agents survive the
# reload; calls in progress are not affected. Exit status: 0 unchanged or reloaded, 1 error.
set -euo pipefail

mode=host
allow_empty=no
for arg in "$@"; do
    case "$arg" in
        --compose) mode=compose ;;
        --allow-empty) allow_empty=yes ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 1 ;;
    esac
done

target="${ASTERISK_AGENTS_FILE:-/etc/asterisk/acd/pjsip_agents.conf}"
compose="${COMPOSE:-docker compose}"

# Installs stdin as $1 if it differs; prints "changed" or "unchanged". Runs as root where the
# file lives (on the host, or inside the Asterisk container).
install_snippet='set -eu
f="$1"; umask 027
cat > "$f.new"
chown root:asterisk "$f.new" 2>/dev/null || true
chmod 0640 "$f.new"
if [ -f "$f" ] && cmp -s "$f" "$f.new"; then rm -f "$f.new"; echo unchanged
else mv -f "$f.new" "$f"; echo changed; fi'

if [ "$mode" = compose ]; then
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
    generate() { $compose exec -T acd acd asterisk pjsip-agents; }
    current() { $compose exec -T asterisk cat "$target" 2>/dev/null || true; }
    install_file() { $compose exec -T asterisk sh -c "$install_snippet" sh "$target"; }
    reload() { $compose exec -T asterisk asterisk -rx 'module reload res_pjsip.so'; }
else
    read -r -a gen_cmd <<< "${ACD_PJSIP_AGENTS_CMD:-acd asterisk pjsip-agents}"
    generate() { "${gen_cmd[@]}"; }
    current() { cat "$target" 2>/dev/null || true; }
    install_file() {
        # The folder must be traversable by Asterisk (group asterisk), whatever our umask.
        if [ ! -d "$(dirname "$target")" ]; then
            mkdir -p -m 0750 "$(dirname "$target")"
            chgrp asterisk "$(dirname "$target")" 2>/dev/null || true
        fi
        sh -c "$install_snippet" sh "$target"
    }
    reload() { asterisk -rx 'module reload res_pjsip.so'; }
fi

umask 077                     # the generated text holds SIP passwords
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT

if ! generate > "$tmp"; then
    echo "sync-agents: 'acd asterisk pjsip-agents' failed; $target left unchanged" >&2
    exit 1
fi

count_agents() { grep -cE '^\[[^]]+\]\(acd-agent-endpoint\)' || true; }
new_count="$(count_agents < "$tmp")"
old_count="$(current | count_agents)"
if [ "$new_count" -eq 0 ] && [ "$old_count" -gt 0 ] && [ "$allow_empty" != yes ]; then
    echo "sync-agents: generator returned no agent while $target has $old_count;" \
         "refusing (use --allow-empty if that is intended)" >&2
    exit 1
fi

result="$(install_file < "$tmp")"
if [ "$result" = unchanged ]; then
    echo "sync-agents: $new_count agent(s), unchanged"
    exit 0
fi
reload >/dev/null
echo "sync-agents: $new_count agent(s) written to $target (was $old_count); res_pjsip reloaded"
