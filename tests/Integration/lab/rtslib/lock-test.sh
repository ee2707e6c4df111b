#!/usr/bin/env bash
# Does targetcli's own lock keep rtslib_apply.py and a targetcli session apart, both ways? Runs in the lab VM.
#  A. rtslib_apply.py applies a 100-LUN plan; 2 s in, `targetcli` starts (stdin from a pipe, as an operator's
#     interactive session would be: the lock is taken in main() before the prompt either way).
#     Expect: targetcli prints nothing and sits in flock() until rtslib_apply.py has saved and exited.
#  B. A targetcli session (stdin a fifo kept open, like an operator at the prompt) holds the lock: rtslib_apply.py
#     with lock_wait_seconds=5 must give up with nothing changed; with the default wait it must start only after
#     the operator typed exit.
# usage: lock-test.sh  (lab VM running; PUREBOOT_LAB_DIR set)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../common.sh
source "$HERE/../common.sh"; lab_load_env
# shellcheck source=lib.sh
source "$HERE/lib.sh"
rt_install
rt_clear
lab_ssh 'cd /var/lib/pureboot/luns && truncate -s 16M $(seq -f "pb-bench-%04g.img" 0 999)' </dev/null
python3 "$HERE/gen.py" plan create 100 --new-target | lab_ssh "cat > $RT_VMDIR/lock-create.json"
python3 "$HERE/gen.py" plan remove 100 --delete-target | lab_ssh "cat > $RT_VMDIR/lock-remove.json"
python3 - <<'EOF' | lab_ssh "cat > $RT_VMDIR/lock-short.json"
import json
print(json.dumps({"save_file": "/etc/rtslib-fb-target/saveconfig.json", "lock_wait_seconds": 5,
                  "changes": [{"op": "create_target", "wwn": "iqn.2026-01.local.pureboot:locktest"}]}))
EOF
lab_ssh 'bash -s' <<'EOF'
cd /root/pb; umask 077
ts() { date +%H:%M:%S.%N | cut -c1-12; }
echo "targetcli's lock in /usr/bin/targetcli:"; grep -n "lock_file = \|open(lock_file\|fcntl.flock" /usr/bin/targetcli
echo
echo "== A. rtslib_apply.py holds the lock, targetcli starts 2 s later"
echo "$(ts) rtslib_apply.py start (create 100 LUNs)"
( python3 rtslib_apply.py < lock-create.json > lockA.out; echo "$(ts) rtslib_apply.py exit $? ($(python3 -c 'import json; d=json.load(open("lockA.out")); print(sum(r["ok"] for r in d["results"]), "ok, saved", d["saved"])'))" ) &
sleep 2
echo "$(ts) targetcli start"
( h=$(mktemp -d); (echo "ls /iscsi 1"; echo exit) | HOME=$h targetcli 2>&1 | while IFS= read -r l; do echo "$(ts) targetcli: $l"; done; echo "$(ts) targetcli exit" ) &
# /proc/locks lists a blocked flock() as "N: -> FLOCK ... WRITE <pid>" under the holder's line
for i in $(seq 1 12); do
  sleep 1
  if grep -q -- "->" /proc/locks; then
    echo "$(ts) /proc/locks:"; grep FLOCK /proc/locks | sed 's/^/    /'
    grep -- "->" /proc/locks | awk '{print $6}' | while read -r p; do echo "    waiter $p: $(tr '\0' ' ' </proc/$p/cmdline) wchan=$(cat /proc/$p/wchan)"; done
    grep -v -- "->" /proc/locks | grep FLOCK | awk '{print $5}' | while read -r p; do echo "    holder $p: $(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null)"; done
    break
  fi
done
wait
echo
echo "== B. an interactive targetcli session holds the lock (its stdin is a fifo we keep open)"
rm -f tc.fifo; mkfifo tc.fifo
( h=$(mktemp -d); HOME=$h targetcli < tc.fifo > tcB.out 2>&1; echo "$(ts) targetcli session exit $?" ) &
exec 7>tc.fifo
echo "$(ts) targetcli session started"
for i in $(seq 1 120); do   # until targetcli holds the lock (its start takes seconds under TCG)
  p=$(grep FLOCK /proc/locks | grep -v -- "->" | awk '{print $5}' | head -1)
  [ -n "$p" ] && grep -q targetcli /proc/$p/cmdline 2>/dev/null && break; sleep 0.5
done
echo "$(ts) lock held by $p: $(tr '\0' ' ' </proc/$p/cmdline)"
echo "$(ts) rtslib_apply.py with lock_wait_seconds=5"
python3 rtslib_apply.py < lock-short.json; echo "$(ts) exit $?"
test -d /sys/kernel/config/target/iscsi/iqn.2026-01.local.pureboot:locktest && echo "locktest target EXISTS (wrong)" || echo "locktest target absent: nothing was changed"
echo "$(ts) rtslib_apply.py remove 100 with the default wait (300 s), in the background"
( python3 rtslib_apply.py < lock-remove.json > lockB.out; echo "$(ts) rtslib_apply.py exit $? ($(python3 -c 'import json; d=json.load(open("lockB.out")); print(sum(r["ok"] for r in d["results"]), "ok, saved", d["saved"], "lock_wait %.1f s" % d["elapsed"].get("lock_wait", -1), d["save_error"] or "")'))" ) &
sleep 8
echo "$(ts) /proc/locks:"; grep FLOCK /proc/locks | sed 's/^/    /'
echo "$(ts) operator types exit"
echo exit >&7; exec 7>&-
wait
rm -f tc.fifo
EOF
