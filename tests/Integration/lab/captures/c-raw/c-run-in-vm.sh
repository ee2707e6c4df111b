#!/bin/bash
# Runs INSIDE the VM as root: resets LIO + targetcli prefs, then runs the capture
# scripts with the given redirection mode. usage: c-run-in-vm.sh MODE OUTDIR
# (scripts are expected in OUTDIR as c1-create.script / c2-delete.script)
set -u
MODE=$1 OUT=$2
reset_lio() {
  targetcli clearconfig confirm=True >/dev/null 2>&1
  rm -f /root/.targetcli/prefs.bin /var/lib/pureboot/luns/*.img /etc/rtslib-fb-target/saveconfig.json
  rm -rf /etc/rtslib-fb-target/backup
  lvs pureboot/lv1 >/dev/null 2>&1 || lvcreate -q -y -L 128M -n lv1 pureboot >/dev/null
}
reset_lio
for s in c1-create c2-delete; do
  case $MODE in
    merged)   PYTHONUNBUFFERED=1 targetcli <"$OUT/$s.script" >"$OUT/$s.merged" 2>&1; echo $? >"$OUT/$s.merged.rc" ;;
    separate) PYTHONUNBUFFERED=1 targetcli <"$OUT/$s.script" >"$OUT/$s.stdout" 2>"$OUT/$s.stderr"; echo $? >"$OUT/$s.separate.rc" ;;
    buffered) targetcli <"$OUT/$s.script" >"$OUT/$s.merged-buffered" 2>&1; echo $? >"$OUT/$s.buffered.rc" ;;
  esac
  cp /etc/rtslib-fb-target/saveconfig.json "$OUT/$s.$MODE.saveconfig.json" 2>/dev/null
  python3 -c 'import json,rtslib_fb; print(json.dumps(rtslib_fb.RTSRoot().dump()))' >"$OUT/$s.$MODE.live-dump.json"
  targetcli ls >"$OUT/$s.$MODE.ls.txt" 2>&1
done
