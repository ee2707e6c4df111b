# PureBoot: reads a storage host's LIO state in one python start, without targetcli.
# argv: storage kind (fileio|block), storage path ("" = skip the listing), "1" to read iSCSI sessions.
# Prints one JSON object: the live config as rtslib dumps it (the saveconfig shape), the save file rtslib uses on
# this host, the targetcli version, logged-in sessions (from configfs), and the storage listing.
import json, os, sys, subprocess
from rtslib_fb import RTSRoot
from rtslib_fb import root as rtsroot

kind, path, want_sessions = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
root = RTSRoot()
out = {"live": root.dump(), "save_file": getattr(rtsroot, "default_save_file", None)}
try:
    from targetcli.version import __version__ as v
    out["targetcli_version"] = v
except Exception:
    out["targetcli_version"] = None

sessions = []
if want_sessions:
    # NodeACL.session parses the ACL's configfs "info" file; dynamic (generated) ACLs have one too.
    for target in root.targets:
        for tpg in target.tpgs:
            for acl in tpg.node_acls:
                s = acl.session
                if not s:
                    continue
                luns = []
                for m in acl.mapped_luns:
                    try:
                        luns.append({"mapped_lun": m.mapped_lun, "storage_object": m.tpg_lun.storage_object.path})
                    except Exception:
                        pass
                sessions.append({
                    "target": target.wwn, "tpg": tpg.tag, "initiator": acl.node_wwn, "sid": s.get("id"),
                    "state": s.get("state"), "mutual_chap": acl.authenticate_target if tpg.has_feature("auth") else None,
                    "addresses": [c.get("address") for c in s.get("connections", []) if c.get("address")],
                    "luns": luns,
                })
out["sessions"] = sessions

st = []
if path and kind == "fileio" and os.path.isdir(path):
    for e in os.scandir(path):
        if e.is_file(follow_symlinks=False):
            s = e.stat(follow_symlinks=False)
            st.append({"name": e.name, "size": s.st_size, "allocated": s.st_blocks * 512})
elif path and kind == "block":
    r = subprocess.run(["lvs", "--noheadings", "--units", "b", "--nosuffix", "--separator", "|", "-o", "lv_name,lv_size", path],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        out["storage_error"] = r.stderr.strip()
    for line in r.stdout.splitlines():
        n, _, sz = line.strip().partition("|")
        if n:
            st.append({"name": n, "size": int(sz), "allocated": int(sz)})
elif path and kind == "fileio":
    out["storage_error"] = "storage directory %s does not exist" % path
out["storage"] = st
print(json.dumps(out))
