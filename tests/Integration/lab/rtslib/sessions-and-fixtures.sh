#!/usr/bin/env bash
# Sessions without targetcli, proven with real initiators, and the fixtures for the C# unit tests.
#  1. rtslib_apply.py: a plan with deliberate failures on top of 3 LUNs (result JSON with failures, the saved file)
#  2. two qemu-io initiators (CHAP) log in and stay logged in (qemu-io's `sleep`); while they are, the snapshot
#     python (sessions=1) and `targetcli sessions detail` run back to back; a third ACL stays logged out
#  3. the same snapshot once they have logged out
# Writes into tests/Unit/Fixtures/rtslib-lab/ (throwaway CHAP secrets only).
# usage: sessions-and-fixtures.sh  (lab VM running; PUREBOOT_LAB_DIR set)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../common.sh
source "$HERE/../common.sh"; lab_load_env
# shellcheck source=lib.sh
source "$HERE/lib.sh"
FIX="$(cd "$HERE/../../../Unit/Fixtures" && pwd)/rtslib-lab"; mkdir -p "$FIX"
T=iqn.2026-01.local.pureboot:bench
rt_install
rt_clear
lab_ssh 'cd /var/lib/pureboot/luns && truncate -s 16M $(seq -f "pb-bench-%04g.img" 0 3)' </dev/null

python3 "$HERE/gen.py" plan create 3 --new-target >"$FIX/plan-create-3.json"
rt_apply "$FIX/plan-create-3.json" "$FIX/result-create-3.json" >/dev/null; rt_check "$FIX/result-create-3.json"
python3 - "$T" >"$FIX/plan-with-failures.json" <<'EOF'
import json, sys
t = sys.argv[1]
acl = lambda i: {"target": t, "initiator": "iqn.2026-01.local.pureboot:node-%04d" % i}
print(json.dumps({"save_file": "/etc/rtslib-fb-target/saveconfig.json", "changes": [
    {"op": "create_storage_object", "plugin": "fileio", "name": "pb-bench-0003", "dev": "/var/lib/pureboot/luns/pb-bench-0003.img"},
    {"op": "create_storage_object", "plugin": "fileio", "name": "pb-dup", "dev": "/var/lib/pureboot/luns/pb-bench-0003.img"},
    {"op": "create_storage_object", "plugin": "fileio", "name": "pb-missing", "dev": "/var/lib/pureboot/luns/no-such.img"},
    {"op": "create_storage_object", "plugin": "block", "name": "pb-nolv", "dev": "/dev/pureboot/no-such-lv"},
    {"op": "create_lun", "target": t, "index": 3, "plugin": "fileio", "storage_object": "pb-bench-0003"},
    {"op": "create_lun", "target": t, "index": 4, "plugin": "fileio", "storage_object": "pb-bench-0003"},
    {"op": "create_lun", "target": t, "index": 5, "plugin": "fileio", "storage_object": "pb-missing"},
    {"op": "create_target", "wwn": t},
    {"op": "create_target", "wwn": "not-an-iqn"},
    dict(op="create_node_acl", **acl(3)),
    dict(op="set_node_acl_auth", userid="node-0003", password="throwaway-0003-pw", **acl(3)),
    dict(op="create_mapped_lun", index=0, tpg_lun=3, write_protect=False, **acl(3)),
    dict(op="create_mapped_lun", index=1, tpg_lun=9, write_protect=False, **acl(3)),
    dict(op="set_node_acl_auth", userid="nobody", password="throwaway-nobody-pw", **acl(99)),
    dict(op="set_node_acl_auth", userid="node-0003", password="NULL", **acl(3)),
    dict(op="set_node_acl_auth", userid="node-0003", password="throwaway-0003-pw", **acl(3)),
    dict(op="set_node_acl_attributes", attributes={"no_such_attribute": "1"}, **acl(3)),
    {"op": "set_tpg_attributes", "target": t, "attributes": {"authentication": "1", "no_such_attribute": "1"}},
    {"op": "delete_portal", "target": t, "ip": "127.0.0.1", "port": 3260},
    {"op": "delete_mapped_lun", "target": t, "initiator": "iqn.2026-01.local.pureboot:node-0003", "index": 7},
    {"op": "delete_lun", "target": t, "index": 42},
    {"op": "delete_storage_object", "plugin": "block", "name": "b-missing"},
    {"op": "delete_target", "wwn": "iqn.2026-01.local.pureboot:nothere"},
    {"op": "rename_everything"},
]}))
EOF
rt_apply "$FIX/plan-with-failures.json" "$FIX/result-with-failures.json" >/dev/null; rt_check "$FIX/result-with-failures.json" || true
rt_saved >"$FIX/saveconfig-by-rtslib_apply.json"
lab_ssh 'stat -c "%a %U %s %n" /etc/rtslib-fb-target/saveconfig.json; ls -la /etc/rtslib-fb-target/backup | tail -3' </dev/null

# 2. two initiators logged in
qio() {  # qio INDEX SECONDS: log node-INDEX in with its CHAP and keep the session for SECONDS
  local i; i=$(printf %04d "$1")
  qemu-io --object "secret,id=chap$1,data=throwaway-$i-pw" --image-opts \
    "driver=iscsi,transport=tcp,portal=127.0.0.1:$PUREBOOT_LAB_ISCSI_PORT,target=$T,lun=0,user=node-$i,password-secret=chap$1,initiator-name=iqn.2026-01.local.pureboot:node-$i" \
    -c 'read -v 0 16' -c "sleep $(($2 * 1000))"
}
qio 0 40 >"$FIX/qemu-io-node-0000.txt" 2>&1 &
qio 1 40 >"$FIX/qemu-io-node-0001.txt" 2>&1 &
sleep 8
t=$(rt_snapshot "$FIX/snapshot-two-sessions.json"); echo "snapshot with sessions: $t s"
lab_ssh 'h=$(mktemp -d); s=$(date +%s%N); HOME=$h targetcli sessions detail 2>&1 | grep -v "^Warning: Could not load preferences"; e=$(date +%s%N); rm -rf $h; echo "targetcli sessions detail: $(( (e - s) / 1000000 )) ms" >&2' </dev/null >"$FIX/sessions-detail-two-sessions.txt"
wait
cat "$FIX/sessions-detail-two-sessions.txt"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d["sessions"], indent=1)); print(d["elapsed"])' "$FIX/snapshot-two-sessions.json"
sleep 2
t=$(rt_snapshot "$FIX/snapshot-no-sessions.json"); echo "snapshot after logout: $t s"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("sessions after logout:", d["sessions"])' "$FIX/snapshot-no-sessions.json"
