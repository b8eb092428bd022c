#!/bin/sh
# Runs an integration test script as a normal user: the daemon's normal-user mode (no privilege
# drop, no chroot). As root it switches to nobody with setpriv(1); as anyone else it just runs.
# Debian's python3 is used, since an interpreter under /root is not reachable by nobody.
# usage: as_normal_user.sh script.py
set -eu
if [ "$(id -u)" -eq 0 ]; then
    exec setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$@"
fi
exec python3 "$@"
