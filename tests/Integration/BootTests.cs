using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using Xunit;
using Xunit.Abstractions;

namespace PureBoot.Tests.Integration;

/// <summary>
/// The diskless boot workflow on the lab VM: golden images cloned sparsely, and a second qemu (the node: no
/// disk, iPXE from Debian's ipxe-qemu ROM) that boots over iSCSI from the LUN PureBoot made, with the script
/// PureBoot wrote. Its node reaches the LIO VM's forwarded iSCSI port at 10.0.2.2 (its user network's host).
/// </summary>
[Collection("lab")]
public class BootTests(ITestOutputHelper output)
{
    void Dump(LabContext ctx) { lock (ctx.Log) foreach (var l in ctx.Log) output.WriteLine(l); }

    static string RandomMac() => "52:54:00:" + string.Join(":", Guid.NewGuid().ToByteArray()[..3].Select(b => b.ToString("x2")));

    // ================================================================ 1. golden images

    [LabFact]
    public async Task CloningATenGiBSparseImage_CostsTimeForItsDataNotItsSize()
    {
        using var ctx = new LabContext();
        try
        {
            var be = ctx.AddBackend("clone");
            var dir = ctx.StorageDir;
            // The golden image: 10 GiB, of which 1 MiB is data (512 KiB at the start, 512 KiB at 5 GiB).
            ctx.Lab.SshOk($"mkdir -p {dir}/golden && truncate -s 10G {dir}/golden/big.img && " +
                          $"dd if=/dev/urandom of={dir}/golden/big.img bs=512K count=1 conv=notrunc status=none && " +
                          $"dd if=/dev/urandom of={dir}/golden/big.img bs=512K count=1 seek=10240 conv=notrunc,fsync status=none");
            var golden = Stat(ctx, $"{dir}/golden/big.img");
            output.WriteLine($"golden image: {golden.Size} bytes, {golden.Allocated} allocated");
            Assert.Equal(10L << 30, golden.Size);

            // What writing the bytes costs on this VM, for comparison (256 MiB, synced).
            var wsw = Stopwatch.StartNew();
            ctx.Lab.SshOk($"dd if=/dev/zero of={dir}/speed.tmp bs=1M count=256 conv=fsync status=none; rm -f {dir}/speed.tmp");
            var tenGiBWrite = wsw.Elapsed.TotalSeconds * 40;   // 10 GiB = 40 x 256 MiB
            output.WriteLine($"writing 256 MiB took {wsw.Elapsed.TotalSeconds:0.0} s: writing 10 GiB would take about {tenGiBWrite:0} s");

            var sw = Stopwatch.StartNew();
            var o = Assert.Single(await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "clone1", Backend = "clone", SourceImage = "golden/big.img" } }));
            sw.Stop();
            Assert.True(o.Succeeded, o.Error);
            var clone = Stat(ctx, $"{dir}/clone1.img");
            output.WriteLine($"clone of the 10 GiB image: New LUN took {sw.Elapsed.TotalSeconds:0.0} s (ssh, lock, copy, targetcli, read-back); " +
                             $"clone is {clone.Size} bytes with {clone.Allocated} allocated ({clone.Allocated / 1048576.0:0.0} MiB)");
            Assert.Equal(10L << 30, clone.Size);
            Assert.True(clone.Allocated < 64L << 20, $"the clone allocated {clone.Allocated} bytes: it was not copied sparsely");
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"cloning took {sw.Elapsed.TotalSeconds:0.0} s");
            Assert.True(sw.Elapsed.TotalSeconds < tenGiBWrite / 2, $"cloning took {sw.Elapsed.TotalSeconds:0.0} s, not well under the {tenGiBWrite:0} s writing 10 GiB takes");

            // The clone holds the image's data where the image has it, and LIO exports all 10 GiB of it.
            string Sum(string f, long skipMiB) => ctx.Lab.SshOk($"dd if={f} bs=512K count=1 skip={skipMiB * 2} status=none | md5sum").Split(' ')[0];
            Assert.Equal(Sum($"{dir}/golden/big.img", 0), Sum($"{dir}/clone1.img", 0));
            Assert.Equal(Sum($"{dir}/golden/big.img", 5120), Sum($"{dir}/clone1.img", 5120));
            Assert.Equal(10L << 30, ctx.Engine.GetLun("clone1").SizeBytes);
            Assert.Equal(10L << 30, SaveConfigParser.Parse(ctx.Lab.SavedConfigJson()).FindStorageObject("fileio", "clone1")!.Size);
            var n = ctx.Engine.AddNode("n", RandomMac());
            Assert.True(Assert.Single(await ctx.Engine.AssignLunsAsync(new[] { new LunAssignRequest("clone1", "n") })).Succeeded);
            var c = ctx.Engine.GetChapCredential("clone1");
            Assert.Equal(10L << 30, Initiator.CapacityBytes(ctx.Lab, n.InitiatorIqn, be.SharedTargetIqn, 0, c.User, c.RevealSecret()));
            Assert.Empty((await ctx.Engine.GetTargetStatusAsync("clone")).Drift);
        }
        finally { Dump(ctx); }
    }

    static (long Size, long Allocated) Stat(LabContext ctx, string path)
    {
        var parts = ctx.Lab.SshOk($"stat -c '%s %b %B' {path}").Trim().Split(' ');
        return (long.Parse(parts[0]), long.Parse(parts[1]) * long.Parse(parts[2]));
    }

    // ================================================================ 2-4. booting a node

    [LabFact]
    public async Task ANodeBootsFromItsClonedPerLunTarget_KeepsItsDiskAcrossARestart_AndAWrongSecretDoesNotBoot()
    {
        using var ctx = new LabContext();
        var boot = new BootImage(ctx, output);
        try
        {
            var be = ctx.AddBackend("boot", mode: TargetMode.PerLun);
            boot.Upload("golden/boot.img");
            var node = ctx.Engine.AddNode("node1", RandomMac());
            var created = Assert.Single(await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "node1", Backend = "boot", SourceImage = "golden/boot.img" } }));
            Assert.True(created.Succeeded, created.Error);
            Assert.Equal(64L << 20, ctx.Engine.GetLun("node1").SizeBytes);
            Assert.True(Assert.Single(await ctx.Engine.AssignLunsAsync(new[] { new LunAssignRequest("node1", "node1") })).Succeeded);
            var lun = ctx.Engine.GetLun("node1");
            Assert.Equal(be.PerLunTargetIqn("node1"), lun.TargetIqn);
            Assert.Equal("OneWay", lun.Chap);

            var info = ctx.Engine.WriteBootScript("node1", boot.ScriptPath, "10.0.2.2", ctx.Lab.IscsiPort);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(boot.ScriptPath));
            output.WriteLine($"boot script for {info.Node}: {info.RootPath}");
            var script = File.ReadAllText(boot.ScriptPath);
            Assert.Contains($"set password {ctx.Engine.GetChapCredential("node1").RevealSecret()}\n", script);

            await BootAndRestart(ctx, boot, node, lun, ExportScope.Node);

            // A wrong secret: iPXE's login fails, the disk is never opened, nothing boots.
            var wrong = Regex.Replace(script, @"(?m)^set password \S+$", "set password WrongSecret1234");
            File.WriteAllText(boot.ScriptPath, wrong);
            using (var vm = NodeVm.Start(boot.TftpDir, node.MacAddress, output))
            {
                var failed = vm.WaitFor(o => o.Contains("Could not boot") || o.Contains("Could not open SAN device"), TimeSpan.FromSeconds(150));
                output.WriteLine("---- node console (wrong secret) ----\n" + vm.Tail(1500));
                Assert.True(failed, "iPXE did not report a failed boot within 150 s");
                Assert.DoesNotContain(boot.Marker, vm.Output);
                Assert.Contains("boot.ipxe", vm.Output);   // it did run the script
            }
        }
        finally { Dump(ctx); }
    }

    [LabFact]
    public async Task ANodeBootsFromASharedTargetWithMutualChap_AndARestartOfItsLunReconnectsIt()
    {
        using var ctx = new LabContext();
        var boot = new BootImage(ctx, output);
        try
        {
            var be = ctx.AddBackend("shboot");
            boot.Upload("golden/boot.img");
            var node = ctx.Engine.AddNode("node2", RandomMac());
            // Another LUN first, so the node's disk is not LUN 0 of the target.
            var created = await ctx.Engine.CreateLunsAsync(new[]
            {
                new LunCreateRequest { Name = "other", Backend = "shboot", SizeBytes = 16L << 20 },
                new LunCreateRequest { Name = "disk2", Backend = "shboot", SourceImage = "golden/boot.img", MutualChap = true },
            });
            Assert.All(created, o => Assert.True(o.Succeeded, o.Error));
            Assert.True(Assert.Single(await ctx.Engine.AssignLunsAsync(new[] { new LunAssignRequest("disk2", "node2") })).Succeeded);
            var lun = ctx.Engine.GetLun("disk2");
            Assert.Equal(be.SharedTargetIqn, lun.TargetIqn);
            Assert.Equal(1, lun.TpgLunIndex);
            Assert.Equal("Mutual", lun.Chap);

            var script = ctx.Engine.GetBootScript("node2", "10.0.2.2", ctx.Lab.IscsiPort);
            Assert.Contains("set reverse-password ", script);
            Assert.Contains(ctx.Engine.ListAudit(), a => a.Operation == "read-boot-script" && a.ObjectName == "node2");
            ctx.Engine.WriteBootScript("node2", boot.ScriptPath, "10.0.2.2", ctx.Lab.IscsiPort);

            await BootAndRestart(ctx, boot, node, lun, ExportScope.Lun);
        }
        finally { Dump(ctx); }
    }

    /// <summary>
    /// Boots the node from its LUN and waits for the marker; then, while the node reads its disk once a second,
    /// restarts the LUN's export: the session LIO had ends, iPXE logs in again (a new session id), the reads go
    /// on with the same data, and the saved config is as before apart from generated aliases.
    /// </summary>
    async Task BootAndRestart(LabContext ctx, BootImage boot, Node node, Lun lun, ExportScope scope)
    {
        var acl = $"/sys/kernel/config/target/iscsi/{lun.TargetIqn}/tpgt_1/acls/{node.InitiatorIqn}";
        var before = OurConfig(ctx);
        var dataBefore = ctx.Lab.SshOk($"md5sum {lun.BackingPath}").Split(' ')[0];
        // iPXE does not answer LIO's NOP-In pings, so LIO fails its connection 15 + 30 s after login and iPXE
        // logs in again. Turn the pings off on this ACL (live only) so that a new session id means the restart.
        ctx.Lab.SshOk($"echo 0 > {acl}/attrib/nopin_timeout");

        var sw = Stopwatch.StartNew();
        using var vm = NodeVm.Start(boot.TftpDir, node.MacAddress, output);
        var booted = vm.WaitFor(o => o.Contains(boot.Marker), TimeSpan.FromSeconds(180));
        var bootTime = sw.Elapsed;
        output.WriteLine($"---- node console ----\n{vm.Tail(2500)}");
        Assert.True(booted, $"the node did not print {boot.Marker} within 180 s");
        output.WriteLine($"node booted from {lun.TargetIqn} LUN {lun.MappedLunIndex}: marker after {bootTime.TotalSeconds:0.0} s");
        Assert.Contains("Booting from SAN device", vm.Output);

        // Reading its disk through iPXE, with one session.
        Assert.True(vm.WaitFor(o => Count(o, boot.Data) >= 3, TimeSpan.FromSeconds(60)), "the node does not read its disk: " + vm.Tail(500));
        var sid1 = SessionId(ctx, acl);
        Assert.True(sid1 is not null, "LIO shows no session for the node");
        output.WriteLine($"session before the restart: {sid1}; reads so far: {Count(vm.Output, boot.Data)}");

        var rsw = Stopwatch.StartNew();
        var res = await ctx.Engine.RestartExportAsync(scope == ExportScope.Node ? node.Name : lun.Name, scope);
        rsw.Stop();
        Assert.All(res, o => Assert.True(o.Succeeded, o.Error));
        var readsAtRestart = Count(vm.Output, boot.Data);
        output.WriteLine($"restart took {rsw.Elapsed.TotalSeconds:0.0} s; reads so far: {readsAtRestart}");

        // The node logs in again and goes on reading the same data.
        Assert.True(vm.WaitFor(o => Count(o, boot.Data) >= readsAtRestart + 5, TimeSpan.FromSeconds(90)),
            "the node did not read its disk again after the restart: " + vm.Tail(800));
        var sid2 = SessionId(ctx, acl);
        output.WriteLine($"session after the restart: {sid2}; reads: {Count(vm.Output, boot.Data)}, read errors: {Count(vm.Output, "READ-ERROR")}");
        Assert.NotNull(sid2);
        Assert.NotEqual(sid1, sid2);
        Assert.Equal(dataBefore, ctx.Lab.SshOk($"md5sum {lun.BackingPath}").Split(' ')[0]);
        Assert.Equal(before, OurConfig(ctx));
        Assert.Contains(ctx.Engine.ListAudit(), a => a.Operation == "restart-export" && a.ObjectName == lun.Name && a.Outcome == AuditOutcome.Success);
        Assert.Empty((await ctx.Engine.GetTargetStatusAsync(lun.BackendName)).Drift);
    }

    static int Count(string text, string what) => Regex.Matches(text, Regex.Escape(what)).Count;

    /// <summary>
    /// The node's session as LIO shows it: its session id (counted per TPG, so a re-created target starts at 1
    /// again) and the ISID iPXE chose at login (random for each login).
    /// </summary>
    static string? SessionId(LabContext ctx, string acl)
    {
        var m = Regex.Match(ctx.Lab.SshOk($"cat {acl}/info"), @"LIO Session ID: (\d+)\s+ISID: (0x[0-9a-f ]+?)\s+TSIH");
        return m.Success ? $"sid {m.Groups[1].Value} isid {m.Groups[2].Value}" : null;
    }

    /// <summary>This test's storage objects and targets from the saved config, without generated aliases, in a fixed order.</summary>
    static string OurConfig(LabContext ctx)
    {
        var root = JsonNode.Parse(ctx.Lab.SavedConfigJson())!.AsObject();
        var sos = root["storage_objects"]!.AsArray().Where(s => s!["dev"]?.GetValue<string>().StartsWith(ctx.StorageDir + "/") == true);
        var ts = root["targets"]!.AsArray().Where(t => t!["wwn"]!.GetValue<string>().StartsWith(ctx.IqnPrefix + ":"));
        static JsonNode? Norm(JsonNode? n) => n switch
        {
            JsonObject o => new JsonObject(o.Where(kv => kv.Key != "alias").OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, Norm(kv.Value)))),
            JsonArray a => new JsonArray(a.Select(Norm).OrderBy(x => x?.ToJsonString(), StringComparer.Ordinal).ToArray()),
            null => null,
            _ => n.DeepClone(),
        };
        return new JsonObject { ["storage_objects"] = Norm(new JsonArray(sos.Select(s => s!.DeepClone()).ToArray())), ["targets"] = Norm(new JsonArray(ts.Select(t => t!.DeepClone()).ToArray())) }.ToJsonString();
    }
}

/// <summary>
/// The boot image (tests/Integration/boot/bootsector.asm assembled with nasm, with this run's marker and data
/// strings), padded to 64 MiB, and a TFTP directory for the node's boot.ipxe.
/// </summary>
sealed class BootImage
{
    readonly LabContext _ctx;
    public string Marker { get; } = "PUREBOOT-BOOTED-" + Guid.NewGuid().ToString("N")[..12];
    public string Data { get; } = "PUREBOOT-DATA-" + Guid.NewGuid().ToString("N")[..12];
    public string TftpDir { get; }
    public string ScriptPath => Path.Combine(TftpDir, "boot.ipxe");
    public byte[] Bytes { get; }

    public BootImage(LabContext ctx, ITestOutputHelper output)
    {
        _ctx = ctx;
        TftpDir = Directory.CreateDirectory(Path.Combine(ctx.Dir, "tftp")).FullName;
        var bin = Path.Combine(ctx.Dir, "boot.bin");
        var asm = Path.Combine(Lab.RepoRoot, "tests", "Integration", "boot", "bootsector.asm");
        var (code, o) = Lab.RunHost("timeout", "60", "nasm", "-f", "bin", $"-DMARKER=\"{Marker}\"", $"-DDATA=\"{Data}\"", "-o", bin, asm);
        Assert.True(code == 0, $"nasm failed ({code}): {o} (install it: apt-get install nasm)");
        Bytes = File.ReadAllBytes(bin);
        Assert.Equal(1024, Bytes.Length);
        Assert.Equal(0x55, Bytes[510]);
        Assert.Equal(0xAA, Bytes[511]);
        output.WriteLine($"boot image: 1024 bytes from nasm, marker {Marker}, data {Data}");
    }

    /// <summary>Writes the image into the test's storage directory on the VM (relative path), 64 MiB and sparse.</summary>
    public void Upload(string relativePath)
    {
        var path = $"{_ctx.StorageDir}/{relativePath}";
        _ctx.Lab.SshOk($"mkdir -p $(dirname {path}) && echo {Convert.ToBase64String(Bytes)} | base64 -d > {path} && truncate -s 64M {path} && sync");
    }
}

/// <summary>A diskless node: qemu with no disk, booting from the network (iPXE ROM) with the given TFTP directory.</summary>
sealed class NodeVm : IDisposable
{
    readonly Process _p;
    readonly StringBuilder _out = new();
    readonly ITestOutputHelper _log;

    NodeVm(Process p, ITestOutputHelper log) { _p = p; _log = log; }

    public static NodeVm Start(string tftpDir, string mac, ITestOutputHelper log)
    {
        // timeout(1) ends the VM even if this test process dies without disposing it.
        var psi = new ProcessStartInfo("timeout")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     "600", "qemu-system-x86_64", "-name", "pureboot-node", "-accel", "tcg", "-m", "256", "-nographic", "-boot", "n",
                     "-netdev", $"user,id=n0,tftp={tftpDir},bootfile=boot.ipxe", "-device", $"e1000,netdev=n0,mac={mac}",
                 })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var vm = new NodeVm(p, log);
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (vm._out) vm._out.Append(e.Data).Append('\n'); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (vm._out) vm._out.Append("[stderr] ").Append(e.Data).Append('\n'); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        log.WriteLine($"node VM started: qemu pid {p.Id}, mac {mac}");
        return vm;
    }

    public string Output { get { lock (_out) return _out.ToString(); } }

    public string Tail(int chars)
    {
        var o = Regex.Replace(Output, @"\x1b\[[0-9;?]*[A-Za-z]|\x1b[c]|[\b]", "");
        return o.Length <= chars ? o : "..." + o[^chars..];
    }

    /// <summary>Polls the console until the condition holds, the VM exits, or the timeout passes.</summary>
    public bool WaitFor(Func<string, bool> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (condition(Output)) return true;
            if (_p.HasExited) { Thread.Sleep(200); return condition(Output); }
            Thread.Sleep(250);
        }
        return condition(Output);
    }

    public void Dispose()
    {
        try { if (!_p.HasExited) { _p.Kill(entireProcessTree: true); _p.WaitForExit(10_000); } } catch (Exception e) { _log.WriteLine($"stopping the node VM: {e.Message}"); }
        _p.Dispose();
    }
}
