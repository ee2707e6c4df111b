# Shared helpers for the PureBoot lab scripts. Source it; do not run it.
# shellcheck shell=bash

LAB_DIR="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
LAB_CACHE_ROOT="${PUREBOOT_LAB_CACHE:-/var/cache/pureboot-lab}"
LAB_STATE="${PUREBOOT_LAB_DIR:-/tmp/pureboot-lab}"
LAB_SSH_TIMEOUT="${PUREBOOT_LAB_SSH_TIMEOUT:-420}"   # TCG boots under load took 190 s

lab_log() { printf '[%s %(%H:%M:%S)T] %s\n' "$(basename "$0" .sh)" -1 "$*" >&2; }
lab_die() { lab_log "ERROR: $*"; exit 1; }

# The cache key: sha256 of the recipe (build-image.sh embeds all of its config).
lab_recipe_hash() { sha256sum "$LAB_DIR/build-image.sh" | cut -d' ' -f1; }
lab_image_dir() { echo "$LAB_CACHE_ROOT/$(lab_recipe_hash)"; }

# qemu pid of this state dir, if that process is alive and is qemu
lab_qemu_pid() {
  local pid
  [[ -s "$LAB_STATE/qemu.pid" ]] || return 1
  pid=$(<"$LAB_STATE/qemu.pid")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  grep -q qemu "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

lab_load_env() {
  [[ -f "$LAB_STATE/lab.env" ]] || lab_die "no $LAB_STATE/lab.env (run start-vm.sh first)"
  # shellcheck disable=SC1091
  source "$LAB_STATE/lab.env"
}

# lab_ssh [-u pbadmin] ARGS... : ssh into the VM with strict host key checking
lab_ssh() {
  local user=root key="$PUREBOOT_LAB_ROOT_KEY"
  if [[ "${1:-}" == -u ]]; then user="$2"; shift 2; [[ $user == root ]] || key="$PUREBOOT_LAB_USER_KEY"; fi
  ssh -i "$key" -p "$PUREBOOT_LAB_SSH_PORT" \
    -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$PUREBOOT_LAB_KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null \
    -o ConnectTimeout=10 -o ServerAliveInterval=15 -o LogLevel=ERROR \
    "$user@$PUREBOOT_LAB_SSH_HOST" "$@"
}

# wait until `ssh root@vm true` works; prints elapsed seconds
lab_wait_ssh() {
  local timeout="${1:-$LAB_SSH_TIMEOUT}" start=$SECONDS
  while ((SECONDS - start < timeout)); do
    if [[ -n "${PUREBOOT_LAB_QEMU_PID:-}" ]] && ! kill -0 "$PUREBOOT_LAB_QEMU_PID" 2>/dev/null; then
      lab_log "qemu (pid $PUREBOOT_LAB_QEMU_PID) exited while waiting for ssh; console tail:"
      tail -20 "$LAB_STATE/console.log" >&2 2>/dev/null || true
      return 1
    fi
    if lab_ssh true </dev/null 2>/dev/null; then
      lab_log "ssh up after $((SECONDS - start)) s"
      return 0
    fi
    sleep 2
  done
  lab_log "ssh not reachable after ${timeout} s; console tail:"
  tail -20 "$LAB_STATE/console.log" >&2 2>/dev/null || true
  return 1
}

# wait until ssh stops answering (VM went down / rebooting)
lab_wait_ssh_down() {
  local timeout="${1:-60}" start=$SECONDS
  while ((SECONDS - start < timeout)); do
    lab_ssh true </dev/null 2>/dev/null || return 0
    sleep 1
  done
  return 1
}

# send one command to the qemu human monitor
lab_monitor() {
  local sock="$LAB_STATE/monitor.sock"
  [[ -S "$sock" ]] || lab_die "no monitor socket $sock"
  if command -v socat >/dev/null; then
    printf '%s\n' "$1" | socat - "UNIX-CONNECT:$sock" >/dev/null
  else
    python3 - "$sock" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode()); time.sleep(0.5); s.close()
PY
  fi
}
