#!/bin/bash
# kdc-down.sh DIR: stop the KDC started by kdc-up.sh DIR (by its recorded pid only).
set -u
D=${1:?usage: kdc-down.sh DIR}
if [ -f "$D/kdc.shpid" ]; then kill "$(cat "$D/kdc.shpid")" 2>/dev/null || true; fi
