#!/usr/bin/env bash
# fetch-sounds.sh: Asterisk's free English prompts and music on hold, for the compose stack.
#
# The andrius/asterisk image is built without sounds; without them, waiting callers hear
# silence instead of music and the dialplan's fallback prompts are skipped. This downloads
# the official GSM packs (small; Asterisk plays GSM natively) from downloads.asterisk.org into
#   deploy/asterisk/sounds/en   -> mounted as /var/lib/asterisk/sounds/en
#   deploy/asterisk/sounds/moh  -> mounted as /var/lib/asterisk/moh
# On a host install use the distribution's packages instead (Debian: asterisk-core-sounds-en-gsm,
# asterisk-moh-opsound-gsm) or the sound packages of the Asterisk source build (menuselect).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
base="${ASTERISK_SOUNDS_URL:-https://downloads.asterisk.org/pub/telephony/sounds}"
dest="$here/sounds"
mkdir -p "$dest/en" "$dest/moh"

fetch() {  # fetch <tarball> <target dir>
    echo "Downloading $1 ..."
    curl -fsSL "$base/$1" | tar -xz -C "$2"
}
fetch asterisk-core-sounds-en-gsm-current.tar.gz "$dest/en"
fetch asterisk-moh-opsound-gsm-current.tar.gz "$dest/moh"
# Readable by the container's asterisk user (uid 1000), whoever owns the files here.
chmod -R a+rX "$dest"
echo "Done: $(find "$dest/en" -type f | wc -l) prompts, $(find "$dest/moh" -type f | wc -l) music files."
echo "Restart Asterisk (docker compose restart asterisk) so MOH classes see the files."
