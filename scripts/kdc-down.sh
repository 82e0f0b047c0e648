#!/bin/bash
# kdc-down.sh DIR: stop the KDC started by kdc-up.sh DIR, by its recorded pids only
# (kdc.pid is written by krb5kdc itself; kdc.shpid is the launcher, which differs under faketime).
set -u
D=${1:?usage: kdc-down.sh DIR}
for f in "$D/kdc.pid" "$D/kdc.shpid"; do
  if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
done
