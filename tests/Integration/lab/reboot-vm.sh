#!/usr/bin/env bash
# Clean reboot of the lab VM (`systemctl reboot` over ssh), then wait for ssh again.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"
PID=$(lab_qemu_pid) || lab_die "VM not running ($LAB_STATE); use start-vm.sh"
lab_load_env
start=$SECONDS
BOOT_ID=$(lab_ssh 'cat /proc/sys/kernel/random/boot_id' </dev/null)
lab_log "reboot over ssh"
lab_ssh 'systemctl reboot' </dev/null >/dev/null 2>&1 || true
lab_wait_ssh_down 90 || lab_die "VM did not go down within 90 s"
lab_wait_ssh || lab_die "VM did not come back after reboot"
NEW_ID=$(lab_ssh 'cat /proc/sys/kernel/random/boot_id' </dev/null)
[[ "$NEW_ID" != "$BOOT_ID" ]] || lab_die "boot id unchanged: the VM did not reboot"
lab_log "rebooted in $((SECONDS - start)) s"
