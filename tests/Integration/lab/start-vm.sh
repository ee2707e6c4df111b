#!/usr/bin/env bash
# Boot the PureBoot lab VM (Debian 12 + LIO/targetcli) under qemu TCG.
#
# usage: start-vm.sh [--fresh]
#   --fresh   throw away this run's disks (overlay + LVM disk) before booting
#
# State dir: $PUREBOOT_LAB_DIR (default /tmp/pureboot-lab), holding
#   overlay.qcow2  copy-on-write overlay of the cached image (the cache stays pristine)
#   disk2.raw      8 GiB sparse disk -> /dev/vdb, LVM VG "pureboot" with the thin pool "pool" (3 GiB)
#   disk3.raw      16 GiB sparse disk -> /dev/vdc, XFS with reflink=1 on /var/lib/pureboot/xfs
#   console.log    serial console; qemu.pid; monitor.sock (human monitor)
#   known_hosts    the VM host key for [127.0.0.1]:SSHPORT
#   lab.env        shell-sourceable connection variables (see README.md)
# Ports: PUREBOOT_LAB_SSH_PORT / PUREBOOT_LAB_ISCSI_PORT, else free ones are picked.
# If the VM of this state dir is already running, only checks it and rewrites lab.env.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "$(readlink -f "$0")")/common.sh"

FRESH=0
for a in "$@"; do
  case "$a" in
    --fresh) FRESH=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) lab_die "unknown argument: $a" ;;
  esac
done

for t in qemu-system-x86_64 qemu-img ssh ssh-keygen; do
  command -v "$t" >/dev/null || lab_die "$t not found (run build-image.sh as root, it installs host packages)"
done

IMAGE_DIR="$(lab_image_dir)"
if [[ ! -f "$IMAGE_DIR/COMPLETE" ]]; then
  lab_log "no cached image at $IMAGE_DIR: building it"
  "$LAB_DIR/build-image.sh" >/dev/null
fi
[[ -f "$IMAGE_DIR/COMPLETE" ]] || lab_die "image build did not produce $IMAGE_DIR"

mkdir -p "$LAB_STATE"
LAB_STATE="$(cd "$LAB_STATE" && pwd)"
cd "$LAB_STATE"

write_env() {
  local kh="$LAB_STATE/known_hosts"
  # host key generated at image build time -> strict host key checking works
  echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$IMAGE_DIR/ssh_host_ed25519_key.pub")" >"$kh.tmp"
  mv "$kh.tmp" "$kh"
  {
    echo "# PureBoot lab VM ($(date -u +%FT%TZ)); source me"
    printf 'PUREBOOT_LAB_SSH_HOST=%q\n' 127.0.0.1
    printf 'PUREBOOT_LAB_SSH_PORT=%q\n' "$SSH_PORT"
    printf 'PUREBOOT_LAB_ISCSI_PORT=%q\n' "$ISCSI_PORT"
    printf 'PUREBOOT_LAB_ROOT_KEY=%q\n' "$IMAGE_DIR/root_ed25519"
    printf 'PUREBOOT_LAB_USER=%q\n' pbadmin
    printf 'PUREBOOT_LAB_USER_KEY=%q\n' "$IMAGE_DIR/pbadmin_ed25519"
    printf 'PUREBOOT_LAB_KNOWN_HOSTS=%q\n' "$kh"
    printf 'PUREBOOT_LAB_VG=%q\n' pureboot
    printf 'PUREBOOT_LAB_LUN_DIR=%q\n' /var/lib/pureboot/luns
    printf 'PUREBOOT_LAB_XFS_DIR=%q\n' /var/lib/pureboot/xfs
    printf 'PUREBOOT_LAB_THIN_POOL=%q\n' pool
    printf 'PUREBOOT_LAB_QEMU_PID=%q\n' "$QEMU_PID"
    printf 'PUREBOOT_LAB_STATE_DIR=%q\n' "$LAB_STATE"
    printf 'PUREBOOT_LAB_IMAGE_DIR=%q\n' "$IMAGE_DIR"
    printf 'PUREBOOT_LAB_MONITOR=%q\n' "$LAB_STATE/monitor.sock"
    printf 'PUREBOOT_LAB_CONSOLE=%q\n' "$LAB_STATE/console.log"
    echo 'export PUREBOOT_LAB_SSH_HOST PUREBOOT_LAB_SSH_PORT PUREBOOT_LAB_ISCSI_PORT PUREBOOT_LAB_ROOT_KEY PUREBOOT_LAB_USER PUREBOOT_LAB_USER_KEY PUREBOOT_LAB_KNOWN_HOSTS PUREBOOT_LAB_VG PUREBOOT_LAB_LUN_DIR PUREBOOT_LAB_XFS_DIR PUREBOOT_LAB_THIN_POOL PUREBOOT_LAB_QEMU_PID PUREBOOT_LAB_STATE_DIR PUREBOOT_LAB_IMAGE_DIR PUREBOOT_LAB_MONITOR PUREBOOT_LAB_CONSOLE'
  } >lab.env.tmp
  mv lab.env.tmp lab.env
}

provision_and_check() {
  # idempotent: VG on /dev/vdb (first boot of the run), LUN dir, dbus, LIO
  lab_ssh 'bash -s' <<'EOF'
set -e
if ! vgs pureboot >/dev/null 2>&1; then
  pvcreate -q -y /dev/vdb
  vgcreate -q pureboot /dev/vdb
  echo "created VG pureboot on /dev/vdb"
fi
mkdir -p /var/lib/pureboot/luns
# Disk lifecycle (images, clones, snapshots): a thin pool in the VG, and an XFS filesystem with reflinks.
if ! lvs pureboot/pool >/dev/null 2>&1; then
  lvcreate -q -y --type thin-pool -L 3G --poolmetadatasize 64M -n pool pureboot >/dev/null
  echo "created thin pool pureboot/pool"
fi
if ! blkid -o value -s TYPE /dev/vdc 2>/dev/null | grep -qx xfs; then
  mkfs.xfs -q -f -m reflink=1 -L pbxfs /dev/vdc
  echo "made XFS (reflink=1) on /dev/vdc"
fi
mkdir -p /var/lib/pureboot/xfs
grep -q '^/dev/vdc ' /etc/fstab || echo '/dev/vdc /var/lib/pureboot/xfs xfs defaults,nofail 0 0' >>/etc/fstab
mountpoint -q /var/lib/pureboot/xfs || mount /var/lib/pureboot/xfs
xfs_info /var/lib/pureboot/xfs | grep -q 'reflink=1' || { echo "/var/lib/pureboot/xfs has no reflinks" >&2; exit 5; }
systemctl is-active --quiet dbus || { echo "dbus is not active" >&2; exit 3; }
for m in target_core_mod iscsi_target_mod target_core_file target_core_iblock; do modprobe "$m"; done
mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config
targetcli ls >/dev/null || { echo "targetcli ls failed" >&2; exit 4; }
echo "dbus active; LIO loaded; targetcli ls ok; $(vgs --noheadings -o vg_name,vg_size pureboot | xargs); thin pool $(lvs --noheadings -o lv_size,data_percent pureboot/pool | xargs); xfs $(df -h --output=size /var/lib/pureboot/xfs | tail -1 | xargs)"
EOF
}

if QEMU_PID=$(lab_qemu_pid); then
  lab_log "VM already running (pid $QEMU_PID) in $LAB_STATE"
  ((FRESH == 0)) || lab_die "--fresh given but the VM is running; run stop-vm.sh first"
  # shellcheck disable=SC1091
  source lab.env
  SSH_PORT=$PUREBOOT_LAB_SSH_PORT ISCSI_PORT=$PUREBOOT_LAB_ISCSI_PORT
  write_env; source lab.env
  lab_wait_ssh && provision_and_check
  exit
fi

# ---------------------------------------------------------------- disks
HASH="$(lab_recipe_hash)"
if ((FRESH)) || [[ "$(cat image.hash 2>/dev/null)" != "$HASH" ]] || [[ ! -f overlay.qcow2 ]]; then
  [[ -f overlay.qcow2 && $FRESH == 0 ]] && lab_log "image recipe changed: recreating overlay and LVM disk"
  rm -f overlay.qcow2 disk2.raw disk3.raw
  qemu-img create -q -f qcow2 -b "$IMAGE_DIR/image.raw" -F raw overlay.qcow2
  echo "$HASH" >image.hash
  lab_log "new overlay on $IMAGE_DIR/image.raw"
fi
[[ -f disk2.raw ]] || truncate -s 8G disk2.raw
[[ -f disk3.raw ]] || truncate -s 16G disk3.raw

# ---------------------------------------------------------------- ports
port_free() {
  local p=$1
  if command -v ss >/dev/null; then
    [[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]]
  else
    ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
  fi
}
pick_port() {
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    port_free "$p" && { echo "$p"; return 0; }
  done
  return 1
}

# ---------------------------------------------------------------- boot
[[ -f console.log ]] && mv -f console.log console.log.1
rm -f monitor.sock qemu.pid
tries=1
[[ -z "${PUREBOOT_LAB_SSH_PORT:-}" || -z "${PUREBOOT_LAB_ISCSI_PORT:-}" ]] && tries=5
for ((try = 1; try <= tries; try++)); do
  SSH_PORT="${PUREBOOT_LAB_SSH_PORT:-$(pick_port)}"
  ISCSI_PORT="${PUREBOOT_LAB_ISCSI_PORT:-$(pick_port)}"
  [[ "$SSH_PORT" != "$ISCSI_PORT" ]] || continue
  lab_log "booting qemu (tcg): ssh 127.0.0.1:$SSH_PORT, iscsi 127.0.0.1:$ISCSI_PORT"
  if qemu-system-x86_64 \
      -name pureboot-lab -accel tcg -m "${PUREBOOT_LAB_MEM:-1024}" -smp "${PUREBOOT_LAB_SMP:-2}" \
      -kernel "$IMAGE_DIR/vmlinuz" -initrd "$IMAGE_DIR/initrd.img" \
      -append "root=/dev/vda rw console=ttyS0 net.ifnames=0 ${PUREBOOT_LAB_APPEND:-}" \
      -drive file=overlay.qcow2,if=virtio,format=qcow2 \
      -drive file=disk2.raw,if=virtio,format=raw \
      -drive file=disk3.raw,if=virtio,format=raw \
      -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22,hostfwd=tcp:127.0.0.1:$ISCSI_PORT-:3260" \
      -device virtio-net-pci,netdev=n0 \
      -device virtio-rng-pci \
      -display none -vga none \
      -serial file:console.log \
      -monitor "unix:$LAB_STATE/monitor.sock,server,nowait" \
      -pidfile "$LAB_STATE/qemu.pid" -daemonize 2>qemu.err; then
    break
  fi
  lab_log "qemu failed to start: $(tr '\n' ' ' <qemu.err)"
  ((try < tries)) || lab_die "VM could not start (see $LAB_STATE/qemu.err)"
done
QEMU_PID=$(lab_qemu_pid) || lab_die "qemu started but no live pid in $LAB_STATE/qemu.pid"
BOOT_START=$SECONDS
write_env
# shellcheck disable=SC1091
source lab.env
lab_log "qemu pid $QEMU_PID; waiting for ssh (timeout ${LAB_SSH_TIMEOUT} s)"
lab_wait_ssh || lab_die "VM did not come up over ssh (console: $LAB_STATE/console.log); qemu left running, use stop-vm.sh"
provision_and_check || lab_die "VM is up but provisioning/checks failed"
lab_log "ready after $((SECONDS - BOOT_START)) s; env: $LAB_STATE/lab.env"
echo "$LAB_STATE/lab.env"
