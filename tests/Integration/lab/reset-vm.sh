#!/usr/bin/env bash
# Hard reset of the lab VM (like pressing the reset button: no shutdown, unsynced
# writes are lost) via the qemu monitor `system_reset`, then wait for ssh again.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"
PID=$(lab_qemu_pid) || lab_die "VM not running ($LAB_STATE); use start-vm.sh"
lab_load_env
start=$SECONDS
lab_log "system_reset via $LAB_STATE/monitor.sock"
lab_monitor system_reset
sleep 2
lab_wait_ssh || lab_die "VM did not come back after reset"
lab_log "back after $((SECONDS - start)) s"
