#!/usr/bin/env bash
# Stop the lab VM of $PUREBOOT_LAB_DIR (default /tmp/pureboot-lab): clean `poweroff`
# over ssh, then kill qemu if it has not exited after PUREBOOT_LAB_STOP_TIMEOUT (60) s.
# The state dir (overlay, LVM disk) is kept: start-vm.sh boots the same disks again.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"
TIMEOUT="${PUREBOOT_LAB_STOP_TIMEOUT:-60}"

if ! PID=$(lab_qemu_pid); then
  lab_log "VM not running ($LAB_STATE)"
  rm -f "$LAB_STATE/qemu.pid"
  exit 0
fi
lab_load_env
start=$SECONDS
lab_log "poweroff over ssh (qemu pid $PID)"
lab_ssh 'systemctl poweroff || poweroff' </dev/null >/dev/null 2>&1 || lab_log "ssh poweroff failed; will fall back"
while kill -0 "$PID" 2>/dev/null && ((SECONDS - start < TIMEOUT)); do sleep 1; done
if kill -0 "$PID" 2>/dev/null; then
  lab_log "still running after ${TIMEOUT} s: quitting qemu"
  [[ -S "$LAB_STATE/monitor.sock" ]] && lab_monitor quit || true
  sleep 3
  kill -0 "$PID" 2>/dev/null && { kill "$PID"; sleep 3; }
  kill -0 "$PID" 2>/dev/null && kill -9 "$PID"
  lab_log "killed after $((SECONDS - start)) s"
else
  lab_log "powered off cleanly after $((SECONDS - start)) s"
fi
rm -f "$LAB_STATE/qemu.pid" "$LAB_STATE/monitor.sock"
