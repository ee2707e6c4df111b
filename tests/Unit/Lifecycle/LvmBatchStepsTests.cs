using PureBoot.Core.Transport;
using Xunit;

namespace PureBoot.Tests.Unit.Lifecycle;

/// <summary>
/// pb_lvremove_many and pb_thin_replace for real in a local bash session. Functions named lvremove, lvs and lvcreate
/// stand in for LVM here (this machine has no volume group; the lab runs the real ones) and answer with what LVM 2.03
/// prints; each call is logged so the test sees the command lines.
/// </summary>
public class LvmBatchStepsTests
{
    static async Task<(string Rc, string Output, string Calls)> Run(string lvm, HostStep step)
    {
        var (rc, output, lines) = await LocalStep.RunAsync("pb_calls=\"$pb_t/calls\"\n" + lvm, step, "echo \"@@CALLS $(tr '\\n' '|' <\"$pb_calls\" 2>/dev/null)\"\n");
        return (rc, output, lines.Single(l => l.StartsWith("@@CALLS", StringComparison.Ordinal))[8..]);
    }

    // The VG holds pool, v1 and v3 after the removal; lvremove failed for v3 (in use) and v9 (gone already).
    const string OneInUse = """
        lvremove() { echo "lvremove $*" >>"$pb_calls"; echo '  Logical volume vg-a/v3 in use.'; echo '  Failed to find logical volume "vg-a/v9"'; return 5; }
        lvs() { echo "lvs $*" >>"$pb_calls"; printf '  pool\n  v1x\n  v3\n'; }
        """;

    [Fact]
    public async Task OneLvremoveForAllAndTheVolumesLeftAreNamed()
    {
        var (rc, output, calls) = await Run(OneInUse, new RemoveLogicalVolumes("*", "vg-a", new[] { "v1", "v3", "v9" }));
        Assert.Equal("1", rc);
        Assert.Equal("lvremove -q -f vg-a/v1 vg-a/v3 vg-a/v9|lvs --noheadings -o lv_name -- vg-a|", calls);
        Assert.Equal("  Logical volume vg-a/v3 in use.\nnot removed: v3", output.TrimEnd('\n'));   // v9 was gone already: not an error
        Assert.Equal(new[] { "v3" }, RemoveLogicalVolumes.NotRemoved(output));
    }

    [Fact]
    public async Task VolumesGoneAlreadyAreFine()
    {
        var (rc, output, calls) = await Run("""
            lvremove() { echo "lvremove $*" >>"$pb_calls"; echo '  Failed to find logical volume "vg-a/v9"'; return 5; }
            lvs() { echo "lvs $*" >>"$pb_calls"; printf '  pool\n'; }
            """, new RemoveLogicalVolumes("*", "vg-a", new[] { "v1", "v9" }));
        Assert.Equal(("0", ""), (rc, output));
        Assert.StartsWith("lvremove -q -f vg-a/v1 vg-a/v9|lvs", calls);
    }

    [Fact]
    public async Task WhenLvsFailsTooTheRemovalFails()
    {
        var (rc, output, _) = await Run("""
            lvremove() { echo '  Volume group "vg-a" not found'; return 5; }
            lvs() { echo '  Volume group "vg-a" not found'; return 5; }
            """, new RemoveLogicalVolumes("*", "vg-a", new[] { "v1" }));
        Assert.Equal("1", rc);
        Assert.Contains("Volume group \"vg-a\" not found", output);
    }

    [Fact]
    public async Task AllRemovedIsOneCommandAndSilent()
    {
        var (rc, output, calls) = await Run("""lvremove() { echo "lvremove $*" >>"$pb_calls"; }""", new RemoveLogicalVolumes("*", "vg-a", new[] { "v1", "v2" }));
        Assert.Equal(("0", "", "lvremove -q -f vg-a/v1 vg-a/v2|"), (rc, output, calls));
    }

    [Fact]
    public async Task TheReplacementSnapshotSaysWhetherTheOldDiskIsGone()
    {
        var made = await Run("""lvcreate() { echo "lvcreate $*" >>"$pb_calls"; }""", new ReplaceThinVolume("n1", "vg-a", "img.deb12.v1", "n1"));
        Assert.Equal(("0", "thin", "lvcreate -q -y -s -kn -p rw -n n1 vg-a/img.deb12.v1|"), made);
        // Still there: its removal failed, nothing changed (17), no word of a removed disk.
        var there = await Run("""lvcreate() { echo '  Logical Volume "n1" already exists in volume group "vg-a"'; return 5; }""", new ReplaceThinVolume("n1", "vg-a", "img.deb12.v1", "n1"));
        Assert.Equal("17", there.Rc);
        Assert.False(ReplaceThinVolume.RemovedTheOld(there.Output));
        // Any other failure: the old disk is gone and the new one not made.
        var lost = await Run("""lvcreate() { echo '  Cannot create new thin volume, free space in thin pool vg-a/pool reached threshold.'; return 5; }""", new ReplaceThinVolume("n1", "vg-a", "img.deb12.v1", "n1"));
        Assert.Equal("75", lost.Rc);
        Assert.True(ReplaceThinVolume.RemovedTheOld(lost.Output));
        Assert.Contains("reached threshold", lost.Output);
    }
}
