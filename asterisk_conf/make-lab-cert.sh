#!/usr/bin/env bash
# make-lab-cert.sh: a self-signed TLS certificate for a LAB Asterisk (WSS on 8089, SIP-TLS).
#
#   asterisk_conf/make-lab-cert.sh [name-or-ip ...]
#
# Writes asterisk.crt and asterisk.key into asterisk_conf/keys/ (next to this script), which
# is /etc/asterisk/keys/ inside the compose stack's Asterisk and where http.conf looks.
# Names default to localhost, 127.0.0.1, ::1 and this machine's hostname; pass the name or
# IP the agents' browsers will use (e.g. pbx.lab.example 192.168.1.20).
#
# Browsers do not trust a self-signed certificate: open https://<name>:8089/ once in each
# agent's browser and accept it, or SIP.js cannot open wss://<name>:8089/ws. Production
# needs a certificate from a CA the browsers trust (docs/deployment.md, "TLS").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${ACD_LAB_CERT_DIR:-$here/keys}"
days="${ACD_LAB_CERT_DAYS:-825}"   # the longest validity Apple platforms accept for TLS certs

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    names=(localhost 127.0.0.1 ::1 "$(hostname)")
fi

# subjectAltName is what browsers check (the CN is ignored): IP addresses go in IP: entries,
# names in DNS: entries.
san=""
for n in "${names[@]}"; do
    if [[ "$n" =~ ^[0-9.]+$ || "$n" == *:* ]]; then
        san+="IP:$n,"
    else
        san+="DNS:$n,"
    fi
done
san="${san%,}"

mkdir -p "$out"
umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# ECDSA P-256: small, fast, accepted by every browser and by Asterisk's OpenSSL.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days "$days" -sha256 \
    -subj "/CN=${names[0]}/O=acd lab (self-signed)" \
    -addext "subjectAltName=$san" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$tmp/asterisk.key" -out "$tmp/asterisk.crt" 2>/dev/null

# The compose stack bind-mounts this folder read-only into a container where Asterisk runs as
# uid 1000, which is usually not the owner of these files: the key must be readable by
# others there. Acceptable for a throw-away lab key only; production keys are 0640
# root:asterisk.
chmod 0644 "$tmp/asterisk.key" "$tmp/asterisk.crt"
mv -f "$tmp/asterisk.key" "$tmp/asterisk.crt" "$out/"

echo "Wrote $out/asterisk.crt and $out/asterisk.key (valid $days days) for: ${names[*]}"
openssl x509 -in "$out/asterisk.crt" -noout -subject -enddate -fingerprint -sha256
echo "Restart Asterisk (or: asterisk -rx 'module reload http') to load it."
