#!/usr/bin/env bash
# Boot a diskless lab node by hand, as tests/Integration/BootTests.cs does: qemu with no disk, iPXE from
# Debian's ipxe-qemu ROM, DHCP+TFTP from qemu's user network handing out TFTPDIR/boot.ipxe (for example the
# file Get-IscsiBootScript -Node NAME -Path TFTPDIR/boot.ipxe -PortalAddress 10.0.2.2 wrote, with the lab's
# forwarded iSCSI port). The node reaches the LIO VM's forwarded port on the host loopback at 10.0.2.2.
#
# usage: boot-node.sh TFTPDIR MAC [SECONDS]     (serial console on stdout; stops after SECONDS, default 180)
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,8p' "$0"; exit 2; }
dir=$(readlink -f "$1"); mac=$2; secs=${3:-180}
[[ -f "$dir/boot.ipxe" ]] || { echo "no $dir/boot.ipxe" >&2; exit 2; }
exec timeout "$secs" qemu-system-x86_64 -name pureboot-node -accel tcg -m 256 -nographic -boot n \
  -netdev "user,id=n0,tftp=$dir,bootfile=boot.ipxe" -device "e1000,netdev=n0,mac=$mac" </dev/null
