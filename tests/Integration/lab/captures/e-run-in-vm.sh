#!/bin/bash
# (e) runs INSIDE the VM as root: targetcli start cost with 0 vs 100 LUNs
TIMEFORMAT='%R s'
t() { local label=$1; shift; local s=${EPOCHREALTIME/./}; "$@" >/dev/null 2>&1; local rc=$?; local us=$(( ${EPOCHREALTIME/./} - s )); printf '%-62s %3d.%02d s (rc=%s)\n' "$label" $((us/1000000)) $((us%1000000/10000)) "$rc"; }
targetcli clearconfig confirm=True >/dev/null 2>&1; rm -f /var/lib/pureboot/luns/*.img
echo "== 0 objects"
for i in 1 2 3; do t "targetcli ls (0 objects)" targetcli ls; done
t "targetcli </dev/null (start+autosave, 0 objects)" targetcli </dev/null
t "rtslib live dump (0 objects)" python3 -c 'import json,rtslib_fb; print(json.dumps(rtslib_fb.RTSRoot().dump()))'
echo "== create batch"
t "batch: 100 fileio + target + 100 LUNs + ACL + 100 mapped LUNs (303 lines)" sh -c 'targetcli < /root/cap/e-create100.script'
echo "objects: $(ls /sys/kernel/config/target/core/fileio_*/ | grep -c '^s') backstores, $(ls /sys/kernel/config/target/iscsi/iqn.2026-01.local.pureboot:scale/tpgt_1/lun | wc -l) LUNs"
echo "== 100 LUNs"
for i in 1 2 3; do t "targetcli ls (100 LUNs)" targetcli ls; done
t "targetcli </dev/null (start+autosave, 100 LUNs)" targetcli </dev/null
t "targetcli set global auto_save_on_exit=false" targetcli set global auto_save_on_exit=false
t "targetcli </dev/null (start, no autosave, 100 LUNs)" targetcli </dev/null
t "targetcli saveconfig (100 LUNs)" targetcli saveconfig
t "rtslib live dump (100 LUNs)" python3 -c 'import json,rtslib_fb; print(json.dumps(rtslib_fb.RTSRoot().dump()))'
t "targetcli ls /backstores/fileio/s001 (100 LUNs)" targetcli ls /backstores/fileio/s001
t "single-line batch: get global auto_save_on_exit (100 LUNs)" sh -c 'echo "get global auto_save_on_exit" | targetcli'
t "targetctl clear (100 LUNs)" targetctl clear
t "targetctl restore (100 LUNs, = boot-time restore)" targetctl restore
ls -l /etc/rtslib-fb-target/saveconfig.json
echo "== targetclid (auto_use_daemon)"
systemctl start targetclid.socket 2>&1; systemctl is-active targetclid.socket
t "targetcli set global auto_use_daemon=true" targetcli set global auto_use_daemon=true
for i in 1 2 3; do t "targetcli ls via daemon (100 LUNs)" targetcli ls; done
t "targetcli batch via daemon (stdin, 3 lines)" sh -c 'printf "ls /backstores/fileio/s001\nget global auto_save_on_exit\nls /iscsi 1\n" | targetcli'
printf 'ls /backstores/fileio/s001\nget global auto_save_on_exit\nbogus\n' | targetcli > /root/cap/e-daemon-batch.out 2>&1; echo "daemon batch rc=$?"
targetcli ls /backstores/fileio/s001 > /root/cap/e-daemon-ls.out 2>&1; echo "daemon ls rc=$?"
targetcli bogus-cmd > /root/cap/e-daemon-bad.out 2>&1; echo "daemon bad cmd rc=$?"
systemctl is-active targetclid.service
t "targetcli set global auto_use_daemon=false (via daemon)" targetcli set global auto_use_daemon=false
targetcli get global auto_use_daemon 2>&1
systemctl stop targetclid.socket targetclid.service 2>&1
t "targetcli ls (daemon off, 100 LUNs)" targetcli ls
echo "== delete batch"
t "batch: delete target + 100 backstores (102 lines)" sh -c 'targetcli < /root/cap/e-delete100.script'
t "targetcli ls (after delete)" targetcli ls
targetcli set global auto_save_on_exit=true >/dev/null
