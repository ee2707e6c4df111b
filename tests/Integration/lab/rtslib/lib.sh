# Helpers for the rtslib executor lab scripts (source after ../common.sh and lab_load_env).
# The python files are copied to /root/pb in the VM; plans and targetcli scripts go over ssh on stdin.
# shellcheck shell=bash
RT_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RT_SRC="$(cd "$RT_HERE/../../../../src/PureBoot.Core/Transport/Shell" && pwd)"
RT_VMDIR=/root/pb

rt_install() {  # the three python files (as PureBoot ships them) into the VM
  local f
  lab_ssh "mkdir -p -m 0700 $RT_VMDIR" </dev/null
  for f in rtslib_apply.py rtslib_common.py lio_snapshot.py; do lab_ssh "cat > $RT_VMDIR/$f" <"$RT_SRC/$f"; done
  lab_ssh "cat > $RT_VMDIR/check-dump-equal.py" <"$RT_HERE/check-dump-equal.py"
}

rt_clear() {  # empty LIO config and saved file, as after `targetctl clear` + a save
  lab_ssh 'python3 -c "from rtslib_fb import RTSRoot; RTSRoot().clear_existing(confirm=True)" && rm -f /etc/rtslib-fb-target/saveconfig.json' </dev/null
}

# rt_apply PLANFILE OUTJSON: runs rtslib_apply.py + sync in the VM; prints "wall_s sync_s" (remote clock)
rt_apply() {
  lab_ssh "cd $RT_VMDIR && umask 077 && s=\$(date +%s.%N) && python3 rtslib_apply.py > out.json; rc=\$?; m=\$(date +%s.%N); sync; e=\$(date +%s.%N); echo \"\$rc \$s \$m \$e\" > times; cat out.json" <"$1" >"$2"
  lab_ssh "cat $RT_VMDIR/times" </dev/null | awk '{ if ($1 != 0) print "rc=" $1 > "/dev/stderr"; printf "%.2f %.2f\n", $3-$2, $4-$3 }'
}

# rt_targetcli SCRIPTFILE OUTTXT: one targetcli run fed on stdin as PureBoot does it (private HOME), then sync
rt_targetcli() {
  lab_ssh "cd $RT_VMDIR && umask 077 && h=\$(mktemp -d) && s=\$(date +%s.%N) && HOME=\$h PYTHONUNBUFFERED=1 targetcli > tc.out 2>&1; rc=\$?; m=\$(date +%s.%N); sync; e=\$(date +%s.%N); rm -rf \$h; echo \"\$rc \$s \$m \$e\" > times; cat tc.out" <"$1" >"$2"
  lab_ssh "cat $RT_VMDIR/times" </dev/null | awk '{ if ($1 != 0) print "rc=" $1 > "/dev/stderr"; printf "%.2f %.2f\n", $3-$2, $4-$3 }'
}

# rt_snapshot OUTJSON: the snapshot python with sessions; prints wall seconds
rt_snapshot() {
  lab_ssh "cd $RT_VMDIR && s=\$(date +%s.%N) && python3 lio_snapshot.py fileio /var/lib/pureboot/luns 1 > snap.json; e=\$(date +%s.%N); echo \"\$s \$e\" > times; cat snap.json" </dev/null >"$1"
  lab_ssh "cat $RT_VMDIR/times" </dev/null | awk '{ printf "%.2f\n", $2-$1 }'
}

rt_saved() { lab_ssh 'cat /etc/rtslib-fb-target/saveconfig.json' </dev/null; }

# rt_check OUTJSON: "ok/total saved" of an rtslib_apply result, and the failures
rt_check() {
  python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
if "fatal" in d:
    print("FATAL", d["fatal"]); sys.exit(1)
bad = [r["error"] for r in d["results"] if not r["ok"]]
print("%d/%d ok, saved=%s %s" % (len(d["results"]) - len(bad), len(d["results"]), d["saved"], d["save_error"] or ""))
for e in bad[:5]:
    print("  failed:", e)
EOF
}
