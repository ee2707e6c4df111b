using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Transport;
using PureBoot.Core.Transport.Shell;
using PureBoot.Simulation;
using Xunit;

namespace PureBoot.Tests.Unit.Lifecycle;

/// <summary>
/// The lifecycle's shell helpers for real (a local bash with this machine's coreutils, on a filesystem without
/// reflinks) and on the simulated host modelled the same way: the same steps succeed and fail alike, and what they
/// print reads the same (clone method, sizes, missing paths, space).
/// </summary>
public class LifecycleStepsFidelityTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("pb-lcsteps-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    List<HostStep> Steps(string d) => new()
    {
        new MakeDirectory("a", $"{d}/luns"),
        new InspectImageFile("a", $"{d}/images/gold.img", $"{d}/images"),
        new InspectImageFile("b", $"{d}/images/none.img", $"{d}/images"),
        new InspectImageFile("c", $"{d}/images/sub", $"{d}/images"),
        new CloneFile("a", $"{d}/images/gold.img", $"{d}/luns/web01.img", "0400"),
        new CloneFile("b", $"{d}/images/gold.img", $"{d}/luns/web01.img"),               // exists: refused
        new CloneFile("c", $"{d}/images/none.img", $"{d}/luns/web02.img"),               // no source
        new ReplaceFile("a", $"{d}/images/gold.img", $"{d}/luns/web03.img"),
        new MeasureData("a", $"{d}/luns/web01.img"),
        new MeasureData("b", $"{d}/luns/none.img"),
        new FindMissing("a", new[] { $"{d}/luns/web01.img", $"{d}/luns/none.img" }),
        new ProbeSpace("a", true, $"{d}/luns", $"{d}/images", null),
    };

    [Fact]
    public async Task RealBashAndTheSimulatorAgreeStepByStep()
    {
        // Real: a 4 MiB image with 64 KiB of data at its start, on this machine's filesystem.
        Directory.CreateDirectory(Path.Combine(_dir, "images", "sub"));
        await using (var f = File.Create(Path.Combine(_dir, "images", "gold.img")))
        {
            f.Write(new byte[65536].Select(_ => (byte)7).ToArray());
            f.SetLength(4L << 20);
        }
        var connector = new ShellTargetHostConnector(new ShellOptions { LockWaitSeconds = 30 });
        await using var s = await connector.OpenAsync(new Backend { Name = "local1", Transport = TransportKind.Local });
        var real = await s.RunStepsAsync(Steps(_dir));

        var state = SimulatedHostState.CreateDefault();
        var reflink = real[4].Message.Trim() == "reflink";
        state.Filesystems.Add(new SimulatedFilesystem { MountPoint = "/", Type = "ext4", Reflink = reflink });
        state.AddDirectory("/t/images/sub");
        state.AddFile("/t/images/gold.img", 4L << 20, 65536, "gold");
        var sim = Steps("/t").Select(st => SimulatedRun(state, st)).ToList();

        Assert.Equal(real.Select(r => r.Ok), sim.Select(r => r.Ok));
        Assert.Equal(new[] { true, true, false, false, true, false, false, true, true, false, true, true }, real.Select(r => r.Ok));
        Assert.Equal(StepOutput.Method(real[4].Message).Split(':')[0], StepOutput.Method(sim[4].Message).Split(':')[0]);
        Assert.Equal(StepOutput.Measure(real[8].Message)!.Value.Size, StepOutput.Measure(sim[8].Message)!.Value.Size);
        Assert.Equal(4L << 20, StepOutput.Measure(real[1].Message)!.Value.Size);
        Assert.Equal("0000000000000000".Length, StepOutput.Magic(real[1].Message).Length);
        foreach (var (r, m, says) in new[] { (real[2], sim[2], "does not exist"), (real[3], sim[3], "not a regular file"), (real[5], sim[5], "refusing to overwrite"), (real[6], sim[6], "not a regular file"), (real[9], sim[9], "does not exist") })
        {
            Assert.Contains(says, r.Message);
            Assert.Contains(says, m.Message);
        }
        Assert.Equal(new[] { $"{_dir}/luns/none.img" }, StepOutput.Lines(real[10].Message));
        Assert.Equal(new[] { "/t/luns/none.img" }, StepOutput.Lines(sim[10].Message));
        var realSpace = Capacity.Parse(new Backend { Name = "x", StoragePath = $"{_dir}/luns" }, real[11].Message, null);
        var simSpace = Capacity.Parse(new Backend { Name = "x", StoragePath = "/t/luns" }, sim[11].Message, null);
        Assert.Equal(realSpace.CloneMethod, simSpace.CloneMethod);
        Assert.True(realSpace.SizeBytes > 0 && realSpace.FreeBytes > 0);
        Assert.Equal("0400", Convert.ToString((int)File.GetUnixFileMode(Path.Combine(_dir, "luns", "web01.img")), 8).PadLeft(4, '0'));
        Assert.False(File.Exists(Path.Combine(_dir, "luns", "web01.img.pbtmp")));
    }

    static StepResult SimulatedRun(SimulatedHostState state, HostStep step)
    {
        var (code, msg) = SimulatedShell.Run(state, step);
        return StepResult.Of(step, code, msg);
    }
}
