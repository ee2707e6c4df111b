#!/usr/bin/env bash
# Build (once, cached) the PureBoot integration-lab VM image: Debian 12 (bookworm)
# with the LIO kernel iSCSI target (targetcli-fb), sshd, LVM, systemd.
#
# Result: ${PUREBOOT_LAB_CACHE:-/var/cache/pureboot-lab}/<sha256 of this script>/
#   image.raw           ext4 root filesystem (sparse, whole-disk fs, no partition table)
#   vmlinuz initrd.img  kernel + initramfs to boot with qemu -kernel/-initrd
#   root_ed25519[.pub]  ssh key for root@VM
#   pbadmin_ed25519[.pub] ssh key for pbadmin@VM (passwordless sudo)
#   ssh_host_ed25519_key.pub  the VM's only ssh host key (for known_hosts)
#   recipe.sha256 build.log COMPLETE
#
# The cache key is the sha256 of this file: the whole recipe (package list and
# every configuration file) is embedded below, so any change here rebuilds.
# The build runs in a temporary directory next to the cache and is renamed into
# place only on success, so an interrupted build never leaves a half cache.
#
# Needs root (debootstrap, chroot). No loop mounts: the image is made with
# `mkfs.ext4 -d`.
#
# Env: PUREBOOT_LAB_CACHE   cache root (default /var/cache/pureboot-lab)
#      PUREBOOT_LAB_MIRROR  Debian mirror URL (default: the one this host's apt uses)
#      PUREBOOT_LAB_IMAGE_SIZE  image size (default 3G, sparse)
#      PUREBOOT_LAB_FORCE=1 rebuild even if the cache is complete
set -euo pipefail

SCRIPT_PATH="$(readlink -f "${BASH_SOURCE[0]}")"
CACHE_ROOT="${PUREBOOT_LAB_CACHE:-/var/cache/pureboot-lab}"
IMAGE_SIZE="${PUREBOOT_LAB_IMAGE_SIZE:-3G}"
SUITE=bookworm
GUEST_HOSTNAME=pureboot-lab
PACKAGES=(
  linux-image-amd64 systemd-sysv targetcli-fb python3-rtslib-fb dbus
  openssh-server sudo lvm2 ifupdown isc-dhcp-client kmod udev iproute2
  initramfs-tools procps util-linux less e2fsprogs
  xfsprogs thin-provisioning-tools
)
HOST_PACKAGES=(debootstrap qemu-system-x86 qemu-utils e2fsprogs openssh-client libiscsi-bin ipxe-qemu socat)

log() { printf '[build-image %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap/chroot)"

RECIPE_HASH="$(sha256sum "$SCRIPT_PATH" | cut -d' ' -f1)"
FINAL_DIR="$CACHE_ROOT/$RECIPE_HASH"
CACHE_FILES=(image.raw vmlinuz initrd.img root_ed25519 root_ed25519.pub pbadmin_ed25519 pbadmin_ed25519.pub ssh_host_ed25519_key.pub COMPLETE)

cache_complete() {
  local f
  for f in "${CACHE_FILES[@]}"; do [[ -s "$FINAL_DIR/$f" ]] || return 1; done
}

if [[ "${PUREBOOT_LAB_FORCE:-0}" != 1 ]] && cache_complete; then
  log "cache is complete, skipping build: $FINAL_DIR"
  echo "$FINAL_DIR"
  exit 0
fi

# ---------------------------------------------------------------- one build at a time
# Two labs started together (helpers, CI) both found no cache and raced on the same recipe: the second waits for
# the first's build here and then takes its cache.
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock-$RECIPE_HASH"
if ! flock -n 9; then
  log "another build of this recipe is running: waiting for it (up to 30 min)"
  flock -w 1800 9 || die "timed out waiting for the other build of $RECIPE_HASH"
fi
if [[ "${PUREBOOT_LAB_FORCE:-0}" != 1 ]] && cache_complete; then
  log "the other build completed the cache: $FINAL_DIR"
  echo "$FINAL_DIR"
  exit 0
fi

# ---------------------------------------------------------------- host packages
missing=()
for p in "${HOST_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing host packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---------------------------------------------------------------- apt mirror
# Use the Debian mirror this host's apt is configured with (deb822 *.sources or
# one-line sources.list), unless PUREBOOT_LAB_MIRROR is set.
find_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    # deb822: take URIs of stanzas that list bookworm and whose URI ends in /debian
    uri=$(awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm( |$|\n)/ && /Types:[^\n]*deb( |$|\n)/ {
            if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { u=substr($0,RSTART,RLENGTH); sub(/URIs:[ \t]*/,"",u); if (u ~ /\/debian\/?$/) {print u; exit} } }' "$f")
    [[ -n $uri ]] && { echo "${uri%/}"; return 0; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    uri=$(awk '$1=="deb" { i=2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } ; if ($(i+1)=="bookworm" && $i ~ /\/debian\/?$/) {print $i; exit} }' "$f")
    [[ -n $uri ]] && { echo "${uri%/}"; return 0; }
  done
  return 1
}
MIRROR="${PUREBOOT_LAB_MIRROR:-$(find_mirror || true)}"
[[ -n "$MIRROR" ]] || die "no Debian bookworm mirror found in /etc/apt/sources.list*; set PUREBOOT_LAB_MIRROR"
SEC_MIRROR="${PUREBOOT_LAB_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}"
log "mirror: $MIRROR (security: $SEC_MIRROR)"

# ---------------------------------------------------------------- temp build dir
mkdir -p "$CACHE_ROOT"
# remove leftovers of interrupted builds of this recipe (not running ones)
for d in "$CACHE_ROOT"/.build-"$RECIPE_HASH".*; do
  [[ -d $d ]] || continue
  pid="${d##*.}"
  if ! kill -0 "$pid" 2>/dev/null; then log "removing stale build dir $d"; rm -rf --one-file-system "$d"; fi
done
WORK="$CACHE_ROOT/.build-$RECIPE_HASH.$$"
ROOTFS="$WORK/rootfs"
OUT="$WORK/out"
mkdir -p "$ROOTFS" "$OUT"
# all progress goes to stderr (and build.log); stdout carries only the final cache path
exec 3>&1
exec > >(tee -a "$OUT/build.log" >&2) 2>&1

MOUNTS=()
cleanup() {
  local rc=$? m
  for ((i=${#MOUNTS[@]}-1; i>=0; i--)); do umount -l "${MOUNTS[$i]}" 2>/dev/null || true; done
  # anything else still mounted below the build dir (e.g. debootstrap's own /proc), deepest first
  awk -v w="$WORK/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  if [[ -d "$WORK" ]]; then
    if mountpoint -q "$ROOTFS/proc" 2>/dev/null || mountpoint -q "$ROOTFS/dev" 2>/dev/null; then
      log "WARNING: mounts remain under $ROOTFS, not deleting $WORK"
    else
      rm -rf --one-file-system "$WORK"
    fi
  fi
  ((rc == 0)) || log "build FAILED (rc=$rc)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

START=$SECONDS
log "building recipe $RECIPE_HASH in $WORK"

# ---------------------------------------------------------------- debootstrap
log "debootstrap --variant=minbase $SUITE"
debootstrap --variant=minbase --arch=amd64 "$SUITE" "$ROOTFS" "$MIRROR" >"$OUT/debootstrap.log" 2>&1 \
  || { tail -30 "$OUT/debootstrap.log"; die "debootstrap failed"; }
log "debootstrap done after $((SECONDS-START)) s"

cat >"$ROOTFS/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SEC_MIRROR $SUITE-security main
EOF

# no daemons may start inside the chroot
cat >"$ROOTFS/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
exit 101
EOF
chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"

mnt() { mount "$@"; MOUNTS+=("${@: -1}"); }
mnt -t proc proc "$ROOTFS/proc"
mnt -t sysfs sysfs "$ROOTFS/sys"
mnt --bind /dev "$ROOTFS/dev"
mnt -t devpts devpts "$ROOTFS/dev/pts"

in_chroot() { LANG=C.UTF-8 LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive chroot "$ROOTFS" "$@"; }

# fstab before the kernel install, so the initramfs fsck hook sees the ext4 root
cat >"$ROOTFS/etc/fstab" <<'EOF'
/dev/vda	/	ext4	errors=remount-ro	0	1
EOF

# initramfs: MODULES=most (Debian default) so virtio + ext4 are in the initrd;
# FSTYPE=ext4 because the fsck hook cannot probe /dev/vda inside the chroot
mkdir -p "$ROOTFS/etc/initramfs-tools/conf.d"
printf 'MODULES=most\nFSTYPE=ext4\n' >"$ROOTFS/etc/initramfs-tools/conf.d/pureboot-modules"

log "apt-get install ${PACKAGES[*]}"
in_chroot apt-get update -qq
in_chroot apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >"$OUT/apt-install.log" 2>&1 \
  || { tail -40 "$OUT/apt-install.log"; die "apt-get install failed"; }
log "packages installed after $((SECONDS-START)) s"

# ---------------------------------------------------------------- configuration
echo "$GUEST_HOSTNAME" >"$ROOTFS/etc/hostname"
cat >"$ROOTFS/etc/hosts" <<EOF
127.0.0.1	localhost
127.0.1.1	$GUEST_HOSTNAME
::1		localhost ip6-localhost ip6-loopback
EOF
cat >"$ROOTFS/etc/network/interfaces" <<'EOF'
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet dhcp
EOF
: >"$ROOTFS/etc/resolv.conf"
# fresh machine-id on first boot of each overlay
: >"$ROOTFS/etc/machine-id"
rm -f "$ROOTFS/var/lib/dbus/machine-id"

# LIO modules + configfs (targetctl also loads them; this makes it explicit)
cat >"$ROOTFS/etc/modules-load.d/pureboot-lio.conf" <<'EOF'
configfs
target_core_mod
target_core_file
target_core_iblock
iscsi_target_mod
EOF

# restore LIO config from saveconfig at boot
if [[ -e "$ROOTFS/lib/systemd/system/rtslib-fb-targetctl.service" ]]; then
  in_chroot systemctl enable rtslib-fb-targetctl.service
elif [[ -e "$ROOTFS/lib/systemd/system/target.service" ]]; then
  in_chroot systemctl enable target.service
else
  die "no rtslib-fb-targetctl/target service in the image"
fi
in_chroot systemctl enable ssh.service networking.service dbus.service >/dev/null 2>&1 || true
# serial console login (no password set: root is key-only; getty is for debugging with a password you set yourself)
in_chroot systemctl enable serial-getty@ttyS0.service >/dev/null 2>&1 || true
# quicker boots under TCG
for u in systemd-networkd-wait-online.service e2scrub_reap.service e2scrub_all.timer \
         apt-daily.timer apt-daily-upgrade.timer fstrim.timer man-db.timer; do
  in_chroot systemctl mask "$u" >/dev/null 2>&1 || true
done
mkdir -p "$ROOTFS/etc/systemd/system/networking.service.d"
cat >"$ROOTFS/etc/systemd/system/networking.service.d/timeout.conf" <<'EOF'
[Service]
TimeoutStartSec=90
EOF

# ---------------------------------------------------------------- ssh keys
ssh-keygen -q -t ed25519 -N '' -C "root@pureboot-lab" -f "$OUT/root_ed25519"
ssh-keygen -q -t ed25519 -N '' -C "pbadmin@pureboot-lab" -f "$OUT/pbadmin_ed25519"
rm -f "$ROOTFS"/etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -C "host@pureboot-lab" -f "$ROOTFS/etc/ssh/ssh_host_ed25519_key"
cp "$ROOTFS/etc/ssh/ssh_host_ed25519_key.pub" "$OUT/ssh_host_ed25519_key.pub"
chmod 600 "$ROOTFS/etc/ssh/ssh_host_ed25519_key"
mkdir -p "$ROOTFS/etc/ssh/sshd_config.d"
cat >"$ROOTFS/etc/ssh/sshd_config.d/pureboot.conf" <<'EOF'
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UseDNS no
GSSAPIAuthentication no
MaxStartups 50:30:100
MaxSessions 50
ClientAliveInterval 30
EOF

install -d -m 700 "$ROOTFS/root/.ssh"
install -m 600 "$OUT/root_ed25519.pub" "$ROOTFS/root/.ssh/authorized_keys"

in_chroot useradd -m -s /bin/bash -c "PureBoot admin" pbadmin
install -d -m 700 "$ROOTFS/home/pbadmin/.ssh"
install -m 600 "$OUT/pbadmin_ed25519.pub" "$ROOTFS/home/pbadmin/.ssh/authorized_keys"
in_chroot chown -R pbadmin:pbadmin /home/pbadmin/.ssh
echo 'pbadmin ALL=(ALL) NOPASSWD: ALL' >"$ROOTFS/etc/sudoers.d/pbadmin"
chmod 440 "$ROOTFS/etc/sudoers.d/pbadmin"
in_chroot visudo -cf /etc/sudoers.d/pbadmin >/dev/null

mkdir -p "$ROOTFS/var/lib/pureboot/luns"

# ---------------------------------------------------------------- kernel + initrd
KVER=$(ls "$ROOTFS/lib/modules" | sort -V | tail -1)
[[ -n "$KVER" ]] || die "no kernel installed"
cp "$ROOTFS/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
cp "$ROOTFS/boot/initrd.img-$KVER" "$OUT/initrd.img"
echo "$KVER" >"$OUT/kernel-version"
in_chroot lsinitramfs "/boot/initrd.img-$KVER" >"$OUT/initrd.list"
for m in virtio_blk virtio_pci ext4; do
  grep -Eq "/$m\.ko" "$OUT/initrd.list" \
    || grep -q "^CONFIG_$(echo "$m" | tr a-z A-Z)=y" "$ROOTFS/boot/config-$KVER" \
    || die "initrd lacks $m (cannot mount virtio root)"
done
log "kernel $KVER; initrd has virtio_blk/virtio_pci/ext4"

# ---------------------------------------------------------------- shrink + image
in_chroot apt-get clean
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/tmp/* "$ROOTFS"/var/log/*.log
rm -f "$ROOTFS/usr/sbin/policy-rc.d"
dpkg-query --admindir="$ROOTFS/var/lib/dpkg" -W -f='${Package} ${Version}\n' >"$OUT/packages.txt"
grep -E '^(targetcli-fb|python3-rtslib-fb|python3-configshell-fb|linux-image-[0-9][^ ]*|openssh-server|lvm2|systemd) ' "$OUT/packages.txt" | sed 's/^/  /'

for ((i=${#MOUNTS[@]}-1; i>=0; i--)); do umount "${MOUNTS[$i]}"; done
MOUNTS=()

log "mkfs.ext4 -d rootfs image.raw $IMAGE_SIZE"
truncate -s "$IMAGE_SIZE" "$OUT/image.raw"
mkfs.ext4 -q -F -L pureboot-root -d "$ROOTFS" "$OUT/image.raw" >/dev/null
e2fsck -fn "$OUT/image.raw" >/dev/null 2>&1 || die "e2fsck of image.raw failed"

echo "$RECIPE_HASH" >"$OUT/recipe.sha256"
echo "$MIRROR" >"$OUT/mirror"
chmod 600 "$OUT/root_ed25519" "$OUT/pbadmin_ed25519"
date -u +%FT%TZ >"$OUT/COMPLETE"

# ---------------------------------------------------------------- atomic publish
if [[ -e "$FINAL_DIR" ]]; then
  mv "$FINAL_DIR" "$WORK/old"   # incomplete or forced rebuild
fi
mv "$OUT" "$FINAL_DIR"
log "built in $((SECONDS-START)) s: $FINAL_DIR"
echo "$FINAL_DIR" >&3
