# PureBoot's rtslib executor (runs on the storage host as root; python3 stdlib + rtslib_fb only).
# stdin: one JSON plan (RTSLIB-PLAN-SCHEMA.md). Each change is applied with rtslib-fb the way the equivalent
# targetcli 2.1.53 command does it, one try/except per change; then the configuration is saved like targetcli's
# `saveconfig` (gzip backup of the previous file in backup/, then the file) but written atomically and fsync'd.
# The save re-reads only what the plan touched and merges it into the saved file ("save": "merged" in the result);
# it dumps everything ("full") for an empty plan, "full_save": true, or a saved file that is missing, unreadable or
# shaped unlike live (rtslib_common.save).
# stdout: one JSON result. The whole run holds targetcli's own lock, so an interactive targetcli and PureBoot
# never interleave. targetcli itself is never started.
# Beyond the schema: an optional "lock_wait_seconds" in the plan (default 300, PureBoot's own lock wait);
# "elapsed" also has lock_wait, import, ops (seconds per op name), save_dump and total; {"fatal": "..."} and exit
# status 2 when the plan cannot be read or rtslib cannot be loaded (nothing was changed then).
import array, fcntl, glob, json, os, signal, sys, time

# targetcli-fb 2.1.53 /usr/bin/targetcli: lock_file = '/var/run/targetcli.lock'; open(lock_file, 'w+');
# fcntl.flock(fd, LOCK_EX) (blocking) before anything else, held until the shell exits.
TARGETCLI_LOCK = "/var/run/targetcli.lock"
BLKROGET = 0x125E
OPS = {"create_storage_object", "delete_storage_object", "create_target", "delete_target", "set_tpg_attributes",
       "create_portal", "delete_portal", "create_lun", "delete_lun", "create_node_acl", "delete_node_acl",
       "set_node_acl_attributes", "set_node_acl_auth", "create_mapped_lun", "delete_mapped_lun"}


class Links:
    """Which LUNs export each storage object and which mapped LUNs point at each LUN, read once per run from the
    configfs links and kept current by the ops. rtslib answers both by walking every LUN of every target and every
    ACL of the TPG on each delete: O(N^2) per batch (removing 100 LUNs: 49 of 50 s)."""

    def __init__(self, root, link_of):
        self.root, self.link_of = root, link_of  # rtslib_common.link_of
        self._luns = None  # storage object path -> LUN paths (every fabric)
        self._mapped = {}  # TPG path -> {LUN path -> mapped LUN paths}

    def luns(self):
        if self._luns is None:
            self._luns = {}
            for fm in self.root.fabric_modules:
                for lun in glob.glob(fm.path + "/*/*/lun/lun_*") if fm.exists else ():
                    self._luns.setdefault(self.link_of(lun), set()).add(lun)
        return self._luns

    def mapped(self, tpg_path):
        if tpg_path not in self._mapped:
            m = self._mapped[tpg_path] = {}
            for mlun in glob.glob(tpg_path + "/acls/*/lun_*"):
                m.setdefault(self.link_of(mlun), set()).add(mlun)
        return self._mapped[tpg_path]

    def mapped_lun(self, mlun, added):  # before a delete or after a create; an index not read yet reads it later
        tpg = mlun.split("/acls/")[0]
        if tpg in self._mapped:
            paths = self._mapped[tpg].setdefault(self.link_of(mlun), set())
            if added:
                paths.add(mlun)
            else:
                paths.discard(mlun)

    def forget_target(self, path):
        for paths in (self._luns or {}).values():
            paths.difference_update([p for p in paths if p.startswith(path + "/")])
        for k in [k for k in self._mapped if k.startswith(path + "/")]:
            del self._mapped[k]

    def delete_lun(self, lun):
        """LUN.delete() with the index: its mapped LUNs, then the LUN (each: unlink the alias link, rmdir)."""
        for m in sorted(self.mapped(lun.rsplit("/lun/", 1)[0]).pop(lun, ())):
            remove_linked_dir(m)
        so = self.link_of(lun)
        remove_linked_dir(lun)
        self.luns().get(so, set()).discard(lun)


class Applier:
    def __init__(self, rts, rts_common):
        self.rts, self.rts_common = rts, rts_common
        self.touched = rts_common.Touched()
        self.root = rts.RTSRoot()
        self.iscsi = rts.FabricModule("iscsi")
        self.links = Links(self.root, rts_common.link_of)
        self._files = None  # (st_dev, st_ino) of each storage object's file or device -> (plugin, name)

    def touch(self, op, c):
        """Records what a change is about to touch, for the save (rtslib_common.Touched). Deleting a storage object
        or a LUN also removes the LUNs exporting it and the mapped LUNs pointing at those."""
        t = self.touched
        if op in ("create_storage_object", "delete_storage_object"):
            t.storage_objects.add((c["plugin"], c["name"]))
            if op == "delete_storage_object":
                try:
                    so_path = self.so(c["plugin"], c["name"]).path
                except Exception:
                    so_path = None  # the change fails on its own
                for lun in sorted(self.links.luns().get(so_path, ())):
                    self._touch_lun_path(lun)
        elif op in ("create_target", "delete_target"):
            t.targets.add(c["wwn"])
        elif op in ("set_tpg_attributes", "create_portal", "delete_portal"):
            t.targets.add(c["target"])
        elif op == "create_lun":
            t.luns.add((c["target"], 1, int(c["index"])))
        elif op == "delete_lun":
            self._touch_lun_path("%s/%s/tpgt_1/lun/lun_%d" % (self.iscsi.path, c["target"], int(c["index"])))
        elif op in OPS:  # node ACLs and their mapped LUNs
            t.acls.add((c["target"], 1, c["initiator"]))

    def _touch_lun_path(self, lun):
        wwn, tag = self.rts_common.tpg_key(lun)
        self.touched.luns.add((wwn, tag, int(lun.rsplit("/lun_", 1)[1])))
        for m in self.links.mapped(lun.rsplit("/lun/", 1)[0]).get(lun, ()):
            self.touched.acls.add((wwn, tag, m.split("/acls/", 1)[1].split("/", 1)[0]))

    # ---- lookups (rtslib's lookup mode raises when the object is missing)
    def so(self, plugin, name):
        cls = {"fileio": self.rts.FileIOStorageObject, "block": self.rts.BlockStorageObject}.get(plugin)
        if cls is None:
            raise ValueError("unsupported storage object plugin %r" % plugin)
        return cls(name)

    def tpg(self, wwn):
        return self.rts.TPG(self.rts.Target(self.iscsi, wwn, "lookup"), 1, "lookup")

    def acl(self, c):
        return self.rts.NodeACL(self.tpg(c["target"]), c["initiator"], "lookup")

    def files(self):  # targetcli compares the new file with every storage object's, per create: read them once
        if self._files is None:  # (udev_path read directly: an rtslib object per storage object costs ~1 ms under TCG)
            self._files = {}
            for (plugin, name), path in self.rts_common.storage_object_dirs(self.root).items():
                try:
                    key = file_key(self.rts_common.fread(path + "/udev_path"))
                except OSError:
                    key = None
                if key:
                    self._files[key] = (plugin, name)
        return self._files

    # ---- ops, named as in the plan
    def create_storage_object(self, c):
        plugin, name, dev = c["plugin"], c["name"], c["dev"]
        if plugin == "fileio":  # targetcli: /backstores/fileio create name=N file_or_dev=F (file exists: its size)
            key = file_key(dev)
            if key in self.files():
                raise ValueError("storage object for %s already exists: %s" % (dev, self.files()[key][1]))
            if self.rts.utils.get_block_type(dev) is not None:
                size = None
            elif os.path.isfile(dev):
                size = os.path.getsize(dev)
            elif os.path.exists(dev):
                raise ValueError("Path %s exists but is not a file" % dev)
            else:
                raise ValueError("%s does not exist" % dev)
            so = self.rts.FileIOStorageObject(name, dev, size, write_back=True)
        elif plugin == "block":  # targetcli: /backstores/block create name=N dev=D (read-only when the device is)
            so = self.rts.BlockStorageObject(name, dev, readonly=block_read_only(dev))
        else:
            raise ValueError("unsupported storage object plugin %r" % plugin)
        if file_key(dev):
            self.files()[file_key(dev)] = (plugin, name)
        so.set_attribute("emulate_model_alias", 1)  # targetcli's export_backstore_name_as_model=true

    def delete_storage_object(self, c):  # StorageObject.delete(), its LUN scan answered by the index
        so = self.so(c["plugin"], c["name"])
        for group in so.alua_tpgs:
            if group.name != "default_tg_pt_gp":
                group.delete()
        for lun in sorted(self.links.luns().pop(so.path, ())):  # the LUNs exporting it go too, as in targetcli
            self.links.delete_lun(lun)
        self.rts.node.CFSNode.delete(so)
        so._backstore.delete()
        if self._files is not None:
            self._files = {k: v for k, v in self._files.items() if v != (c["plugin"], c["name"])}

    def create_target(self, c):  # targetcli: /iscsi create WWN, minus the default portal
        tpg = self.rts.TPG(self.rts.Target(self.iscsi, c["wwn"], "create"), 1, "create")
        tpg.enable = True
        if tpg.has_feature("auth"):
            tpg.set_attribute("authentication", 0)

    def delete_target(self, c):  # rtslib deletes the ACLs first, so its LUN deletes find no mapped LUNs to scan
        target = self.rts.Target(self.iscsi, c["wwn"], "lookup")
        target.delete()
        self.links.forget_target(target.path)

    def set_tpg_attributes(self, c):
        tpg = self.tpg(c["target"])
        for k, v in c["attributes"].items():
            tpg.set_attribute(k, attr_value(v))

    def create_portal(self, c):
        self.rts.NetworkPortal(self.tpg(c["target"]), ip(c["ip"]), int(c["port"]), "create")

    def delete_portal(self, c):
        self.rts.NetworkPortal(self.tpg(c["target"]), ip(c["ip"]), int(c["port"]), "lookup").delete()

    def create_lun(self, c):  # targetcli: luns create /backstores/P/N lun=I add_mapped_luns=false
        tpg, so = self.tpg(c["target"]), self.so(c["plugin"], c["storage_object"])
        if any(p.startswith(tpg.path + "/") for p in self.links.luns().get(so.path, ())):
            raise ValueError("lun for storage object %s/%s already exists" % (so.plugin, so.name))
        lun = self.rts.LUN(tpg, int(c["index"]), so)
        self.links.luns().setdefault(so.path, set()).add(lun.path)

    def delete_lun(self, c):
        tpg = self.tpg(c["target"])
        try:
            lun = self.rts.LUN(tpg, int(c["index"]))
        except self.rts.RTSLibError:
            raise ValueError("Invalid LUN")  # targetcli's words
        self.links.delete_lun(lun.path)  # and the mapped LUNs that point at it, as rtslib does

    def create_node_acl(self, c):
        self.rts.NodeACL(self.tpg(c["target"]), c["initiator"], "create")

    def delete_node_acl(self, c):
        acl = self.acl(c)
        for m in glob.glob(acl.path + "/lun_*"):
            self.links.mapped_lun(m, added=False)
        acl.delete()

    def set_node_acl_attributes(self, c):
        acl = self.acl(c)
        for k, v in c["attributes"].items():
            acl.set_attribute(k, attr_value(v))

    def set_node_acl_auth(self, c):  # targetcli: set auth userid=U password=P [mutual_userid=.. mutual_password=..]
        acl = self.acl(c)
        acl.chap_userid, acl.chap_password = c["userid"], c["password"]
        if c.get("mutual_userid") is not None:
            acl.chap_mutual_userid = c["mutual_userid"]
        if c.get("mutual_password") is not None:
            acl.chap_mutual_password = c["mutual_password"]

    def create_mapped_lun(self, c):
        m = self.rts.MappedLUN(self.acl(c), int(c["index"]), int(c["tpg_lun"]), bool(c.get("write_protect", False)))
        self.links.mapped_lun(m.path, added=True)

    def delete_mapped_lun(self, c):
        m = self.rts.MappedLUN(self.acl(c), int(c["index"]))
        self.links.mapped_lun(m.path, added=False)
        m.delete()


def remove_linked_dir(path):  # what LUN.delete / MappedLUN.delete do once nothing points at the object
    for e in os.scandir(path):
        if e.is_symlink():
            os.unlink(e.path)
    os.rmdir(path)


def file_key(path):
    try:
        st = os.stat(path) if path else None
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if st else None


def block_read_only(dev):  # as targetcli's _ui_block_ro_check
    try:
        fd = os.open(dev, os.O_RDONLY)
    except OSError:
        raise ValueError("Could not open %s" % dev)  # targetcli's words
    try:
        buf = array.array("b", [0] * 4)
        fcntl.ioctl(fd, BLKROGET, buf)
        return int.from_bytes(buf.tobytes(), sys.byteorder) != 0
    except OSError:
        return False
    finally:
        os.close(fd)


def ip(address):  # targetcli's _canonicalize_ip: IPv6 in brackets
    return address if "." in address or address.startswith("[") else "[%s]" % address


def attr_value(v):
    return int(v) if isinstance(v, bool) else v


def take_lock(wait):
    fd = os.open(TARGETCLI_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise TimeoutError("targetcli's lock %s was held by another process (an interactive targetcli?) "
                                   "for %d s; nothing was changed" % (TARGETCLI_LOCK, wait))
            time.sleep(0.2)


def scrubber(plan):
    secrets = sorted({str(c.get(k)) for c in plan.get("changes", []) for k in ("password", "mutual_password")
                      if c.get(k)}, key=len, reverse=True)

    def scrub(text):
        for s in secrets:
            text = text.replace(s, "***")
        return text
    return scrub


PLAN_SAVE_FILE = [None]  # where this run's plan saves (the plan's save_file, else rtslib's default); cli prints it back


def scrub(text):  # replaced by main once the plan is read
    return text


def main():
    # Finish and save even if the SSH connection drops mid-batch: LIO and the saved file then agree.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    t0 = time.monotonic()
    plan = json.load(sys.stdin)
    PLAN_SAVE_FILE[0] = plan.get("save_file") or None
    global scrub
    scrub = scrubber(plan)
    changes = plan.get("changes", [])
    out = {"results": [], "saved": False, "save_error": None, "elapsed": {}}
    el = out["elapsed"]
    try:
        lock = take_lock(float(plan.get("lock_wait_seconds", 300)))
    except Exception as e:
        out["results"] = [{"ok": False, "error": scrub(str(e))} for _ in changes]
        out["save_error"] = scrub(str(e))
        return out
    el["lock_wait"] = time.monotonic() - t0
    t = time.monotonic()
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    import rtslib_common  # rtslib_fb, with fast configfs I/O
    PLAN_SAVE_FILE[0] = PLAN_SAVE_FILE[0] or rtslib_common.DEFAULT_SAVE_FILE
    applier = Applier(rtslib_common.rts, rtslib_common)
    el["import"] = time.monotonic() - t
    t = time.monotonic()
    per_op = el["ops"] = {}
    for c in changes:
        op, t_op = str(c.get("op", "")), time.monotonic()
        try:
            if op not in OPS:
                raise ValueError("unknown op %r" % op)
            applier.touch(op, c)
            getattr(applier, op)(c)
            out["results"].append({"ok": True})
        except Exception as e:
            out["results"].append({"ok": False, "error": scrub(str(e) or e.__class__.__name__)})
        per_op[op] = per_op.get(op, 0) + time.monotonic() - t_op
    el["apply"] = time.monotonic() - t
    t = time.monotonic()
    try:
        # A plan of changes saves only what it touched; an empty plan (a plain save) dumps everything.
        touched = applier.touched if changes and not plan.get("full_save") else None
        el["save_dump"], out["save"] = rtslib_common.save(applier.root, PLAN_SAVE_FILE[0], touched)
        out["saved"] = True
    except Exception as e:
        out["save_error"] = scrub(str(e) or e.__class__.__name__)
    # Backing files made by the steps before this plan are flushed with it: a power cut after "done" loses neither.
    os.sync()
    el["save"] = time.monotonic() - t
    el["total"] = time.monotonic() - t0
    os.close(lock)
    return out


def cli():
    """The exit code; what pb_agent.py calls. With "--sections NONCE" (a session) the result and the saved file are
    printed between the session's markers, "@@PB-BEGIN out|saved NONCE" ... "@@PB-END out|saved NONCE"."""
    global scrub
    scrub = scrubber({})
    nonce = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--sections" else None
    PLAN_SAVE_FILE[0] = None
    try:
        result = main()
        code = 0
    except Exception as e:  # unreadable plan, rtslib missing: one line, no traceback (it could quote a value)
        result, code = {"fatal": scrub("%s: %s" % (e.__class__.__name__, e))}, 2
    if nonce is None:
        print(json.dumps(result))
        return code
    print("@@PB-BEGIN out %s\n%s\n@@PB-END out %s" % (nonce, json.dumps(result), nonce))
    saved, save_file = "", PLAN_SAVE_FILE[0]
    if save_file:
        try:
            with open(save_file, encoding="utf-8") as f:
                saved = f.read()
        except OSError:
            pass
    sys.stdout.write("@@PB-BEGIN saved %s\n%s\n@@PB-END saved %s\n" % (nonce, saved.rstrip("\n"), nonce))
    return code


if __name__ == "__main__":
    sys.exit(cli())
