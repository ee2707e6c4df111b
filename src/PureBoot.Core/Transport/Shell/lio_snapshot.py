# PureBoot: reads a storage host's LIO state in one python start, without targetcli (runs as root; python3 stdlib
# + rtslib_fb; imports rtslib_common.py from its own directory).
# argv: storage kind (fileio|block), storage path ("" = skip the listing), "1" to read iSCSI sessions, and optionally
#   a focus (JSON {storage_objects: [[plugin, name]], luns: [[target, tag, index]], acls: [[target, tag, initiator]]}):
#   then "live" is the saved file with those objects and their TPGs read again from configfs, after checking that the
#   file has live's shape (rtslib_common.merged: the same objects, LUN exports and mapped LUNs); else a full dump.
# Prints one JSON object:
#   live               the live config as rtslib dumps it (the saveconfig shape; rtslib_common.dump, byte-identical)
#   live_read          "full", or "focused" (see argv)
#   save_file          where rtslib saves on this host; targetcli_version (read from targetcli/version.py)
#   storage            [{name, size, allocated}] of the storage directory (fileio) or volume group (block);
#                      storage_error when it cannot be listed
#   sessions           [] unless asked; one entry per open session, from each node ACL's configfs "info" file (what
#                      rtslib's NodeACL.session and `targetcli sessions detail` read) joined with the dump:
#       target, tpg, initiator (the ACL's node_wwn), sid, state (e.g. LOGGED_IN),
#       mutual_chap        auth/authenticate_target: targetcli's "(authenticated)" flag, i.e. mutual CHAP
#       chap_required      what the kernel demanded at login (iscsi_conn_auth_required): the ACL's attribute
#                          authentication, or the TPG's when the ACL's is -1 (read now, not at login time)
#       addresses          the connections' initiator addresses
#       luns               [{mapped_lun, tpg_lun, storage_object ("/backstores/fileio/x"), write_protect}]
#       dynamic (false), alias, isid, tsih, type (Normal|Discovery), connections [{cid, state, address, transport}]
#     Initiators without an ACL (generate_node_acls=1): {target, tpg, initiator, dynamic: true} from the TPG's
#     dynamic_sessions file, which names them only.
#   elapsed            {import, dump, storage, sessions} seconds
import importlib.util, json, os, re, subprocess, sys, time

CONFIGFS_ISCSI = "/sys/kernel/config/target/iscsi"


def storage_listing(kind, path, out):
    st = []
    if path and kind == "fileio" and os.path.isdir(path):
        for e in os.scandir(path):
            if e.is_file(follow_symlinks=False):
                s = e.stat(follow_symlinks=False)
                st.append({"name": e.name, "size": s.st_size, "allocated": s.st_blocks * 512})
    elif path and kind == "block":
        r = subprocess.run(["lvs", "--noheadings", "--units", "b", "--nosuffix", "--separator", "|", "-o",
                            "lv_name,lv_size,lv_attr", path], capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            out["storage_error"] = r.stderr.strip()
        for line in r.stdout.splitlines():
            n, sz, attr = (line.strip().split("|") + ["", ""])[:3]
            # A thin pool (attr 't...') holds volumes and is never a LUN's disk: not storage to own or call orphan.
            if n and not attr.startswith("t"):
                st.append({"name": n, "size": int(sz), "allocated": int(sz)})
    elif path and kind == "fileio":
        out["storage_error"] = "storage directory %s does not exist" % path
    return st


def parse_info(text):
    """A node ACL's configfs `info` (kernel lio_target_nacl_info_show), as rtslib's NodeACL.session reads it,
    plus ISID and TSIH. None when no session is open."""
    lines = text.splitlines()
    if not lines or lines[0].startswith("No active"):
        return None
    s = {"alias": "", "sid": None, "isid": None, "tsih": None, "type": None, "state": None, "connections": []}
    for line in lines:
        if line.startswith("InitiatorAlias:"):
            s["alias"] = line.split(":", 1)[1].strip()
        elif line.startswith("LIO Session ID:"):
            s["sid"] = int(line.split(":")[1].split()[0])
            s["isid"] = line.split("ISID:")[1].split("TSIH:")[0].strip().replace(" ", "")
            s["tsih"] = int(line.split("TSIH:")[1].split()[0])
            s["type"] = line.split("SessionType:")[1].split()[0]
        elif "TARG_SESS_STATE_" in line:
            s["state"] = line.split("_STATE_")[1].split()[0]
        elif "TARG_CONN_STATE_" in line:
            s["connections"].append({"cid": int(line.split(":")[1].split()[0]),
                                     "state": line.split("_STATE_")[1].split()[0]})
        elif line.strip().startswith("Address") and s["connections"]:
            parts = line.split()
            s["connections"][-1].update(address=parts[1], transport=parts[2])
    return s


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def sessions(live):
    """Every open session of every iSCSI target: one `info` read per node ACL; the rest comes from the dump."""
    out = []
    for t in live.get("targets", []):
        if t.get("fabric") != "iscsi":
            continue
        for tpg in t.get("tpgs", []):
            base = "%s/%s/tpgt_%d" % (CONFIGFS_ISCSI, t["wwn"], tpg["tag"])
            luns = {l["index"]: l.get("storage_object") for l in tpg.get("luns", [])}
            tpg_auth = int(tpg.get("attributes", {}).get("authentication", 0))
            for acl in tpg.get("node_acls", []):
                s = parse_info(read("%s/acls/%s/info" % (base, acl["node_wwn"])) or "")
                if s is None:
                    continue
                acl_auth = int(acl.get("attributes", {}).get("authentication", -1))
                mutual = (read("%s/acls/%s/auth/authenticate_target" % (base, acl["node_wwn"])) or "0").strip()
                s.update(target=t["wwn"], tpg=tpg["tag"], initiator=acl["node_wwn"], dynamic=False,
                         mutual_chap=mutual == "1", chap_required=bool(acl_auth if acl_auth != -1 else tpg_auth),
                         addresses=[c["address"] for c in s["connections"] if c.get("address")],
                         luns=[{"mapped_lun": m["index"], "tpg_lun": m["tpg_lun"],
                                "storage_object": luns.get(m["tpg_lun"]), "write_protect": bool(m.get("write_protect"))}
                               for m in acl.get("mapped_luns", [])])
                out.append(s)
            for name in (read(base + "/dynamic_sessions") or "").split():
                out.append({"target": t["wwn"], "tpg": tpg["tag"], "initiator": name, "dynamic": True})
    return out


def targetcli_version():
    """Read from targetcli/version.py without importing the package: its __init__ pulls in the whole UI (~2 s
    under TCG, four times the rtslib import)."""
    try:
        spec = importlib.util.find_spec("targetcli")
        text = read(os.path.join(list(spec.submodule_search_locations)[0], "version.py")) or ""
        m = re.search(r"__version__\s*=\s*['\"]([^'\"]+)", text)
        return m.group(1) if m else None
    except Exception:
        return None


def main():
    t0 = time.monotonic()
    out = {}
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    import rtslib_common  # rtslib_fb, with fast configfs I/O
    rts = rtslib_common.rts
    t1 = time.monotonic()
    out["save_file"] = getattr(rts.root, "default_save_file", None)
    focus = json.loads(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else None
    live = None
    if focus and out["save_file"]:
        touched = rtslib_common.Touched()
        touched.storage_objects = {tuple(x) for x in focus.get("storage_objects", [])}
        touched.luns = {tuple(x) for x in focus.get("luns", [])}
        touched.acls = {tuple(x) for x in focus.get("acls", [])}
        live = rtslib_common.merged(rts.RTSRoot(), out["save_file"], touched)
    out["live_read"] = "focused" if live is not None else "full"
    out["live"] = live if live is not None else rtslib_common.dump(rts.RTSRoot())
    t2 = time.monotonic()
    out["targetcli_version"] = targetcli_version()
    kind, path = sys.argv[1], sys.argv[2]
    out["storage"] = storage_listing(kind, path, out)
    t3 = time.monotonic()
    out["sessions"] = sessions(out["live"]) if len(sys.argv) > 3 and sys.argv[3] == "1" else []
    out["elapsed"] = {"import": t1 - t0, "dump": t2 - t1, "storage": t3 - t2, "sessions": time.monotonic() - t3}
    print(json.dumps(out))


def cli():  # what pb_agent.py calls; the exit code
    main()
    return 0


if __name__ == "__main__":
    main()
