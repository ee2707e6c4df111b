using System.Reflection;
using System.Text;
using PureBoot.Core.Model;

namespace PureBoot.Core.Transport.Shell;

/// <summary>
/// The bash text PureBoot sends to a storage host. Everything here is fixed text except arguments that passed
/// InputValidator's allow-lists, and those are single-quoted again on the way out. Data for python (a plan) goes in
/// a quoted heredoc on its stdin, never into code.
/// </summary>
internal static class ShellScripts
{
    public const string LockFile = "/run/lock/pureboot.lock";

    // targetcli keeps prefs and a debug log of every command line (CHAP passwords included, mode 0644) under
    // ~/.targetcli. A private HOME in the session's 0700 temp dir keeps secrets out of that log, leaves root's
    // prefs untouched by our `set global` lines, and gives every run targetcli's default prefs.
    // Unbuffered stdout keeps prompts and messages in true order when stdout and stderr are merged.
    public const string TargetcliEnv = "HOME=\"$pb_t\" PYTHONUNBUFFERED=1";

    /// <summary>Runs first: strict environment, private temp dir, exclusive lock, helper functions.</summary>
    public static string Prelude(string nonce, int lockWaitSeconds) => $$"""
set -u
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LVM_SUPPRESS_FD_WARNINGS=1
umask 077
pb_t=$(mktemp -d /tmp/pureboot.XXXXXXXX </dev/null) || { echo "@@PB-FATAL mktemp could not create a temporary directory"; exit 70; }
trap 'rm -rf "$pb_t"' EXIT
# Heredocs may spill to TMPDIR: keep them in the private 0700 directory.
export TMPDIR="$pb_t"
{ exec 9>>{{LockFile}}; } 2>/dev/null || { exec 9>>/var/lock/pureboot.lock; } 2>/dev/null || { echo "@@PB-FATAL lock-denied $(id -un) cannot open {{LockFile}}"; exit 71; }
if ! flock -w {{lockWaitSeconds}} 9 </dev/null; then echo "@@PB-FATAL lock-timeout another PureBoot run held the target lock for {{lockWaitSeconds}} s"; exit 72; fi
# Encode a step's output only when there is some: three processes fewer per quiet step (they cost ~40 ms each under TCG).
pb_step() { local i=$1; shift; local out rc enc=""; out=$("$@" 2>&1 </dev/null); rc=$?; if [ -n "$out" ]; then enc=$(printf '%s' "$out" | head -c 4000 | base64 -w0); fi; printf '@@PB-STEP %s %s %s\n' "$i" "$rc" "$enc"; }
# lio_snapshot.py and rtslib_apply.py run in one python per session (pb_agent.py, a coproc started on first use: a
# python start with rtslib costs ~0.5 s under TCG). pb_py IN OUT ERR PROGRAM ARG...: the program's exit code; 70 when
# the agent is gone (what it said appended to ERR; the next call starts another). OUT "fd:8" is this session's reply
# stream (fd 8, a copy of stdout): the program writes there directly. PIPE is ignored only while writing to the
# agent: a dead agent must fail the call, not end the session's bash.
exec 8>&1
pb_py() { local rc="" w r; if [ -z "${pb_agent:-}" ] || ! kill -0 "$pb_agent" 2>/dev/null; then coproc PB_AGENT { exec python3 "$pb_t/pb_agent.py" 2>>"$pb_t/agent.err"; }; pb_agent=$PB_AGENT_PID; fi; w=${PB_AGENT[1]:-}; r=${PB_AGENT[0]:-}; printf '%s\0' "$@" >"$pb_t/agent.args"; if [ -n "$w" ] && [ -n "$r" ]; then trap '' PIPE; printf 'run\n' >&"$w" 2>/dev/null && IFS= read -r rc <&"$r"; trap - PIPE; fi; case "$rc" in [0-9]*) return "$rc";; esac; case "$2" in fd:*) echo;; *) : >"$2";; esac; cat "$pb_t/agent.err" >>"$3" 2>/dev/null; pb_agent=; return 70; }
pb_mkdir() { mkdir -p -m 0700 -- "$1"; }
pb_copy() { if [ -e "$2" ]; then echo "refusing to overwrite existing $2"; return 17; fi; [ -f "$1" ] || { echo "source image $1 does not exist"; return 2; }; cp --reflink=auto --sparse=always -- "$1" "$2.pbtmp" && mv -- "$2.pbtmp" "$2" || { rc=$?; rm -f -- "$2.pbtmp"; return $rc; }; }
pb_sparse() { if [ -e "$1" ]; then echo "refusing to overwrite existing $1"; return 17; fi; truncate -s "$2" -- "$1" || { rc=$?; rm -f -- "$1"; return $rc; }; }
pb_grow() { local cur; cur=$(stat -c %s -- "$1") || return 1; if [ "$2" -lt "$cur" ]; then echo "refusing to shrink $1 from $cur to $2 bytes"; return 1; fi; truncate -s "$2" -- "$1"; }
pb_rm() { rm -f -- "$1"; }
pb_lvcreate() { lvcreate -y -W y -Z y -L "$3"b -n "$2" "$1"; }
pb_lvextend() { lvextend -L "$3"b "$1/$2"; }
pb_lvremove() { lvremove -f "$1/$2"; }
pb_dd() { [ -f "$1" ] || { echo "source image $1 does not exist"; return 2; }; dd if="$1" of="$2" bs=4M conv=fsync status=none; }
# ---- disk lifecycle: images, clones, snapshots, capacity (keep this block last) ----
pb__cp() { local why; if why=$(cp --reflink=always -- "$1" "$2" 2>&1); then echo reflink; else rm -f -- "$2"; cp --sparse=always -- "$1" "$2" || return; echo "copy: ${why##*: }"; fi; }
pb__src() { if [ -L "$1" ] || [ ! -f "$1" ]; then echo "source $1 is not a regular file"; return 2; fi; }
pb_clone() { if [ -e "$2" ]; then echo "refusing to overwrite existing $2"; return 17; fi; pb__src "$1" || return; rm -f -- "$2.pbtmp"; pb__cp "$1" "$2.pbtmp" && chmod "$3" -- "$2.pbtmp" && mv -f -- "$2.pbtmp" "$2" || { rc=$?; rm -f -- "$2.pbtmp"; return $rc; }; }
pb_replace() { pb__src "$1" || return; rm -f -- "$2.pbnew"; pb__cp "$1" "$2.pbnew" && chmod 0600 -- "$2.pbnew" && mv -f -- "$2.pbnew" "$2" || { rc=$?; rm -f -- "$2.pbnew"; return $rc; }; }
pb_thin_create() { lvcreate -q -y -kn -V "$4"b -T "$1/$2" -n "$3"; }
# Each LVM command costs 0.5-1 s under TCG (more as the VG's metadata grows): no `lvs` look-before, lvcreate refuses a
# name that exists, and its message says so.
pb__lvsnap() { local o; o=$(lvcreate -q -y -s -kn -p "$4" -n "$3" "$1/$2" 2>&1) && return 0; case "$o" in *"already exists"*) echo "refusing to overwrite existing $1/$3"; return 17;; esac; printf '%s\n' "$o" | grep -v WARNING; return 1; }
pb_thin_snap() { pb__lvsnap "$@" && echo thin; }
# A batch's old volumes go in one lvremove (0.16-0.25 s a volume; an lvremove of one costs 0.6-1 s under TCG at 100-360 volumes), then each
# snapshot takes its volume's name: one LVM command a disk, not three (an lvrename costs as much as an lvcreate).
# pb_lvremove_many VG NAME...: volumes already gone are fine; when some remain, LVM's messages and a last line naming them.
pb_lvremove_many() { local vg=$1 o n all left=""; shift; local -A want; for n in "$@"; do want[$n]=1; done; o=$(lvremove -q -f "${@/#/$vg/}" 2>&1) && return 0; all=$(lvs --noheadings -o lv_name -- "$vg" 2>&1) || { printf '%s\n%s\n' "$o" "$all"; return 1; }; for n in $all; do [ -n "${want[$n]:-}" ] && left="$left $n"; done; [ -z "$left" ] && return 0; printf '%s\n' "$o" | grep -v 'Failed to find'; echo "{{RemoveLogicalVolumes.NotRemovedPrefix}}$left"; return 1; }
# NAME still there: its removal failed, nothing changed (17). Any other failure: the old disk is gone and the new one not
# made; the line below says so (75) and the row stays pending for Sync-IscsiTarget, which makes it.
pb_thin_replace() { pb__lvsnap "$1" "$2" "$3" rw; case $? in 0) echo thin; return 0;; 17) return 17;; esac; echo "{{ReplaceThinVolume.OldVolumeRemoved}} $1/$3"; return 75; }
pb_lv_readonly() { lvchange -q -p r "$1/$2"; }
pb_measure() { if [ -b "$1" ]; then local n=${1#/dev/} t; t=$(dmsetup status -- "$1" 2>/dev/null); set -- $t; echo "lv $(lvs --noheadings --units b --nosuffix -o lv_size,data_percent "${n%%/*}/${n#*/}" | xargs) $([ "${3:-}" = thin ] && echo "${4:-}")"; elif [ -f "$1" ]; then echo "file $(stat -c '%s %b %B' -- "$1")"; else echo "$1 does not exist"; return 2; fi; }
pb_inspect() { local r d; [ -L "$1" ] && { echo "$1 is a symbolic link, not an image file"; return 2; }; [ -e "$1" ] || { echo "$1 does not exist"; return 2; }; [ -f "$1" ] || { echo "$1 is not a regular file"; return 2; }; r=$(realpath -e -- "$1") && d=$(realpath -e -- "$2") || return 2; case "$r" in "$d"/*) ;; *) echo "$1 resolves to $r, outside the image directory $2"; return 2;; esac; echo "file $(stat -c '%s %b %B' -- "$1") $(od -An -tx1 -N8 -- "$1" | tr -d ' \n')"; }
pb_missing() { local p; for p in "$@"; do [ -e "$p" ] || echo "$p"; done; }
pb_space_fileio() { local d="$1" i="$2" a b why; while [ ! -d "$d" ]; do d=$(dirname -- "$d"); done; [ -d "$i" ] || i="$d"; echo "fs $(stat -f -c %T -- "$d")"; echo "df $(df -B1 --output=size,used,avail -- "$d" | tail -n 1)"; a=$(mktemp -p "$i" .pbprobe.XXXXXX) || { echo "clone none cannot write to $i"; return 0; }; head -c 4096 /dev/zero >"$a"; b="$d/.pbprobe.$$.$RANDOM"; if why=$(cp --reflink=always -- "$a" "$b" 2>&1); then echo "clone reflink"; else echo "clone copy ${why##*: }"; fi; rm -f -- "$a" "$b"; }
# With a thin pool, one lvs gives the VG's and the pool's figures (each LVM command costs 0.3-1 s under TCG, more as
# the VG grows). "pool" (a provisioning guard): only the pool's, from the kernel's thin-pool status (what lvs computes
# data% and metadata% from; one dmsetup, ~50 ms); lvs when the pool's -tpool device is not there or not a thin pool.
pb__pct() { local p=$(( $1 * 1000000 / $2 )); printf '%d.%04d' $((p / 10000)) $((p % 10000)); }
pb_space_block() { local o; if [ "${3:-}" = pool ] && [ -n "$2" ] && o=$(dmsetup status -- "${1//-/--}-${2//-/--}-tpool" 2>/dev/null); then local vg=$1 pool=$2; set -- $o; if [ "${3:-}" = thin-pool ] && [[ "${5:-}/${6:-}" =~ ^([0-9]+)/([1-9][0-9]*)/([0-9]+)/([1-9][0-9]*)$ ]]; then echo "pool $(( $2 * 512 )) $(pb__pct "${BASH_REMATCH[3]}" "${BASH_REMATCH[4]}") $(pb__pct "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}") thin-pool"; return 0; fi; set -- "$vg" "$pool"; fi; if [ -n "$2" ] && o=$(lvs --noheadings --units b --nosuffix -o vg_size,vg_free,lv_size,data_percent,metadata_percent,segtype -- "$1/$2" 2>/dev/null) && [ -n "$o" ]; then set -- $o; echo "vg ${1:-} ${2:-}"; echo "pool ${3:-} ${4:-} ${5:-} ${6:-}"; return 0; fi; echo "vg $(vgs --noheadings --units b --nosuffix -o vg_size,vg_free -- "$1" 2>&1 | tr '\n' ' ')"; if [ -n "$2" ]; then echo "pool $(lvs --noheadings --units b --nosuffix -o lv_size,data_percent,metadata_percent,segtype -- "$1/$2" 2>&1 | tr '\n' ' ')"; fi; }
# Copies only the file's data extents (SEEK_DATA/SEEK_HOLE), skipping zero blocks: dd would read every hole (10 GiB: minutes under TCG).
pb_fill() { [ -f "$1" ] || { echo "source image $1 does not exist"; return 2; }; [ -b "$2" ] || { echo "$2 is not a block device"; return 2; }; python3 -c 'import os,sys
s=os.open(sys.argv[1],os.O_RDONLY); d=os.open(sys.argv[2],os.O_WRONLY); end=os.fstat(s).st_size; off=0; z=bytes(4<<20)
while off<end:
    try: data=os.lseek(s,off,os.SEEK_DATA)
    except OSError: break
    hole=os.lseek(s,data,os.SEEK_HOLE); pos=data
    while pos<hole:
        b=os.pread(s,min(hole-pos,4<<20),pos)
        if not b: break
        if b!=z[:len(b)]: os.pwrite(d,b,pos)
        pos+=len(b)
    off=hole
os.fsync(d)' "$1" "$2"; }
pb_sync() { sync; }
echo "@@PB-READY {{nonce}}"

""";

    /// <summary>The module lio_snapshot.py and rtslib_apply.py import from their own directory.</summary>
    public const string PythonCommon = "rtslib_common.py";

    /// <summary>The session's one python, which runs lio_snapshot.py and rtslib_apply.py (see pb_py in the prelude).</summary>
    public const string PythonAgent = "pb_agent.py";

    /// <summary>
    /// Writes one of PureBoot's python programs into the private temp dir (once per session): single-quoted (no
    /// expansion) and written by printf, a builtin (a cat of a heredoc is a process, ~60 ms each under TCG).
    /// </summary>
    public static string PythonFile(string name) => $"printf '%s\\n' {Quote(Python(name))} >\"$pb_t/{name}\"\n";

    /// <summary>Reads the live state, sessions and storage through rtslib (no targetcli start).</summary>
    public static string Snapshot(string nonce, Backend backend, SnapshotRequest request)
    {
        var probes = request.CheckedProbes();
        var kind = backend.Storage == StorageKind.FileIO ? "fileio" : "block";
        var path = request.IncludeStorage ? backend.StoragePath : "";
        var sb = new StringBuilder("{\n");
        // A backend that changes LIO through targetcli is refused before anything is written when it has none.
        if (backend.Executor == LioExecutorKind.Targetcli)
            sb.Append("if ! command -v targetcli >/dev/null; then echo \"@@PB-FATAL targetcli-missing targetcli is not installed (package targetcli-fb)\"; fi\n");
        // Probes run in a background subshell while python reads (two CPUs on the lab VM); their lines follow the read.
        if (probes.Count > 0)
        {
            sb.Append("{\n");
            for (int i = 0; i < probes.Count; i++) sb.Append($"pb_step {i} ").Append(StepCall(probes[i])).Append('\n');
            sb.Append("} >\"$pb_t/probes.out\" &\npb_probes=$!\n");
        }
        sb.Append($"echo '@@PB-BEGIN snapshot {nonce}'\n");
        // The JSON goes straight into the reply (fd 8); stderr is sent only when there is some (a cat costs ~60 ms under TCG).
        sb.Append($"pb_py /dev/null fd:8 \"$pb_t/py.err\" lio_snapshot.py {Quote(kind)} {Quote(path)} {(request.IncludeSessions ? "1" : "0")}{(request.Focus is { } f ? " " + Quote(f.ToJson()) : "")}\n");
        sb.Append($"echo \"@@PB-END snapshot {nonce} $?\"\n");
        sb.Append($"if [ -s \"$pb_t/py.err\" ]; then echo '@@PB-BEGIN pyerr {nonce}'; cat \"$pb_t/py.err\"; echo; echo '@@PB-END pyerr {nonce}'; fi\n");
        if (probes.Count > 0) sb.Append("wait \"$pb_probes\"; cat \"$pb_t/probes.out\"\n");
        sb.Append("} </dev/null\n");
        return sb.ToString();
    }

    /// <summary>Renders host steps as calls of the fixed helper functions of the prelude.</summary>
    public static string Steps(IReadOnlyList<HostStep> steps)
    {
        var sb = new StringBuilder("{\n");
        for (int i = 0; i < steps.Count; i++)
            sb.Append($"pb_step {i} ").Append(StepCall(steps[i])).Append('\n');
        sb.Append("} </dev/null\n");
        return sb.ToString();
    }

    static string StepCall(HostStep step) => step switch
    {
        MakeDirectory s => $"pb_mkdir {Quote(s.Path)}",
        CopyImage s => $"pb_copy {Quote(s.Source)} {Quote(s.Destination)}",
        GrowFile s => $"pb_grow {Quote(s.Path)} {s.SizeBytes}",
        CreateSparseFile s => $"pb_sparse {Quote(s.Path)} {s.SizeBytes}",
        RemoveFile s => $"pb_rm {Quote(s.Path)}",
        CreateLogicalVolume s => $"pb_lvcreate {Quote(s.VolumeGroup)} {Quote(s.Name)} {s.SizeBytes}",
        ExtendLogicalVolume s => $"pb_lvextend {Quote(s.VolumeGroup)} {Quote(s.Name)} {s.SizeBytes}",
        RemoveLogicalVolume s => $"pb_lvremove {Quote(s.VolumeGroup)} {Quote(s.Name)}",
        RemoveLogicalVolumes s => $"pb_lvremove_many {Quote(s.VolumeGroup)}" + string.Concat(s.Names.Select(n => " " + Quote(n))),
        CopyImageToDevice s => $"pb_dd {Quote(s.Source)} {Quote(s.Device)}",
        CloneFile s => $"pb_clone {Quote(s.Source)} {Quote(s.Destination)} {Quote(Mode(s.Mode))}",
        ReplaceFile s => $"pb_replace {Quote(s.Source)} {Quote(s.Destination)}",
        CreateThinVolume s => $"pb_thin_create {Quote(s.VolumeGroup)} {Quote(s.Pool)} {Quote(s.Name)} {s.SizeBytes}",
        ThinSnapshot s => $"pb_thin_snap {Quote(s.VolumeGroup)} {Quote(s.Origin)} {Quote(s.Name)} {(s.ReadOnly ? "r" : "rw")}",
        ReplaceThinVolume s => $"pb_thin_replace {Quote(s.VolumeGroup)} {Quote(s.Source)} {Quote(s.Name)}",
        MakeVolumeReadOnly s => $"pb_lv_readonly {Quote(s.VolumeGroup)} {Quote(s.Name)}",
        InspectImageFile s => $"pb_inspect {Quote(s.Path)} {Quote(s.ImageDirectory)}",
        MeasureData s => $"pb_measure {Quote(s.Path)}",
        FindMissing s => "pb_missing" + string.Concat(s.Paths.Select(p => " " + Quote(p))),
        ProbeSpace s when s.FileIO => $"pb_space_fileio {Quote(s.StoragePath)} {Quote(s.ImageDirectory)}",
        ProbeSpace s => $"pb_space_block {Quote(s.StoragePath)} {Quote(s.ThinPool ?? "")}{(s.PoolOnly ? " pool" : "")}",
        FillThinVolume s => $"pb_fill {Quote(s.Source)} {Quote(s.Device)}",
        SyncData => "pb_sync",
        _ => throw new ArgumentException($"Unknown host step {step.GetType().Name}"),
    };

    /// <summary>A file mode for chmod: only the modes PureBoot uses.</summary>
    static string Mode(string mode) => mode is "0600" or "0400" ? mode : throw new ArgumentException($"unexpected file mode {mode}");

    /// <summary>One targetcli start fed on stdin (quoted heredoc: no expansion), then the saved config read back.</summary>
    public static string Targetcli(string nonce, IReadOnlyList<string> lines, string saveFile)
    {
        var sb = new StringBuilder("{\n");
        sb.Append($"{TargetcliEnv} targetcli >\"$pb_t/tc.out\" 2>&1 <<'PB_TC_{nonce}'\n");
        foreach (var l in lines)
        {
            if (l.Contains('\n') || l.Contains('\r') || l.Contains($"PB_TC_{nonce}"))
                throw new ArgumentException("A targetcli line may not contain a line break.");
            sb.Append(l).Append('\n');
        }
        sb.Append($"PB_TC_{nonce}\n");
        sb.Append($"echo \"@@PB-RC {nonce} $?\"\n");
        AppendSavedReadBack(sb, nonce, "tc.out", saveFile);
        return sb.ToString();
    }

    /// <summary>The rtslib executor: the plan as one JSON line on python's stdin, then the saved config read back.</summary>
    public static string Rtslib(string nonce, string planJson)
    {
        if (planJson.Contains('\n') || planJson.Contains('\r'))
            throw new ArgumentException("The plan must be one line of JSON.");
        var sb = new StringBuilder("{\n");
        // The plan (CHAP secrets included) is written by a builtin (no process, no command line) into the private 0700
        // directory, and the agent removes it after the run. rtslib_apply.py prints its result and the saved file between
        // this session's markers straight into the reply, and syncs (backing files from earlier steps too).
        sb.Append("printf '%s\\n' ").Append(Quote(planJson)).Append(" >\"$pb_t/plan.json\"\n");
        sb.Append($"pb_py \"$pb_t/plan.json\" fd:8 \"$pb_t/ra.err\" rtslib_apply.py --sections {nonce}\n");
        sb.Append($"echo \"@@PB-RC {nonce} $?\"\n");
        sb.Append($"if [ -s \"$pb_t/ra.err\" ]; then echo '@@PB-BEGIN raerr {nonce}'; cat \"$pb_t/ra.err\"; echo; echo '@@PB-END raerr {nonce}'; fi\n");
        sb.Append("} </dev/null\n");
        return sb.ToString();
    }

    static void AppendSavedReadBack(StringBuilder sb, string nonce, string outputFile, string saveFile)
    {
        // rtslib copies the saved config into place without fsync: flush it (and new backing files) before the
        // batch is reported done, or a power cut right after can bring back the previous config.
        sb.Append("sync\n");
        sb.Append($"echo '@@PB-BEGIN out {nonce}'; cat \"$pb_t/{outputFile}\"; echo; echo '@@PB-END out {nonce}'\n");
        sb.Append($"echo '@@PB-BEGIN saved {nonce}'; cat {Quote(saveFile)} 2>/dev/null; echo; echo '@@PB-END saved {nonce}'\n");
        sb.Append("} </dev/null\n");
    }

    /// <summary>One targetcli start that changes nothing (Test-IscsiBackend: is targetcli installed, is D-Bus up).</summary>
    public static string ProbeTargetcli(string nonce) =>
        $"{{\necho '@@PB-BEGIN probe {nonce}'\n{TargetcliEnv} targetcli sessions 2>&1\necho \"@@PB-END probe {nonce} $?\"\n}} </dev/null\n";

    public static string Done(string nonce) => $"echo \"@@PB-DONE {nonce}\"\n";

    /// <summary>POSIX single quotes. Values are already allow-listed; quoting is the second wall.</summary>
    public static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    static string Python(string name)
    {
        using var stream = typeof(ShellScripts).Assembly.GetManifestResourceStream("PureBoot.Shell." + name)
            ?? throw new InvalidOperationException($"PureBoot.Core lacks its embedded {name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().TrimEnd('\n');
    }
}
