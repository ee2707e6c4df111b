using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace PureBoot.Tests.Unit.Module;

/// <summary>
/// What PowerShell users rely on and reviewers would otherwise check by hand: approved verbs, the manifest's export
/// list, pipeline binding between cmdlets, ShouldProcess and ConfirmImpact, no plain-text secret parameters, the
/// format file naming real properties, and help for every cmdlet. Read from metadata: nothing runs a cmdlet.
/// </summary>
public class ModuleContractTests
{
    static ModuleMetadata M => ModuleMetadata.Instance;

    /// <summary>PowerShell 7.4's Get-Verb list (System.Management.Automation.Verbs*).</summary>
    static readonly HashSet<string> ApprovedVerbs = new(StringComparer.Ordinal)
    {
        // Common
        "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move", "New", "Open",
        "Optimize", "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select", "Set", "Show", "Skip", "Split",
        "Step", "Switch", "Undo", "Unlock", "Watch",
        // Communications
        "Connect", "Disconnect", "Read", "Receive", "Send", "Write",
        // Data
        "Backup", "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit", "Expand", "Export",
        "Group", "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore", "Save", "Sync", "Unpublish", "Update",
        // Diagnostic
        "Debug", "Measure", "Ping", "Repair", "Resolve", "Test", "Trace",
        // Lifecycle
        "Approve", "Assert", "Build", "Complete", "Confirm", "Deny", "Deploy", "Disable", "Enable", "Install", "Invoke", "Register",
        "Request", "Restart", "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall", "Unregister", "Wait",
        // Other
        "Use",
        // Security
        "Block", "Grant", "Protect", "Revoke", "Unblock", "Unprotect",
    };

    static readonly string[] ExpectedCmdlets =
    {
        "New-IscsiBackend", "Get-IscsiBackend", "Set-IscsiBackend", "Remove-IscsiBackend", "Test-IscsiBackend",
        "New-IscsiNode", "Get-IscsiNode", "Set-IscsiNode", "Remove-IscsiNode",
        "New-IscsiLun", "Get-IscsiLun", "Set-IscsiLun", "Resize-IscsiLun", "Remove-IscsiLun",
        "Set-IscsiLunAssignment", "Remove-IscsiLunAssignment",
        "Get-IscsiTargetStatus", "Get-IscsiLunChapCredential", "Get-PureBootAuditLog",
        "Sync-IscsiTarget", "Import-IscsiTargetConfig", "Restart-IscsiTarget", "Get-IscsiBootScript", "Save-IscsiBootScript",
        // The disk lifecycle.
        "New-IscsiImage", "Get-IscsiImage", "Remove-IscsiImage", "Checkpoint-IscsiLun", "Get-IscsiLunSnapshot", "Remove-IscsiLunSnapshot",
        "Restore-IscsiLun", "Reset-IscsiLun", "Update-IscsiLun", "Get-IscsiBackendSpace",
    };

    static readonly HashSet<string> ReadOnlyVerbs = new(StringComparer.Ordinal) { "Get", "Test" };

    /// <summary>Get cmdlets that can also write a file (-Path): they offer -WhatIf/-Confirm for that.</summary>
    static readonly HashSet<string> GetCmdletsThatWriteFiles = new(StringComparer.Ordinal) { "Get-IscsiBootScript" };

    [Fact]
    public void TheModuleHasExactlyTheDesignedCmdlets()
    {
        Assert.Equal(ExpectedCmdlets.OrderBy(x => x, StringComparer.Ordinal), M.Cmdlets.Select(c => c.Name));
    }

    [Fact]
    public void EveryCmdletUsesAnApprovedVerb()
    {
        var bad = M.Cmdlets.Where(c => !ApprovedVerbs.Contains(c.Verb)).Select(c => c.Name).ToList();
        Assert.True(bad.Count == 0, "unapproved verbs: " + string.Join(", ", bad));
    }

    [Fact]
    public void CmdletClassesFollowTheVerbNounCommandNaming()
    {
        foreach (var c in M.Cmdlets)
        {
            Assert.Equal($"{c.Verb}{c.Noun}Command", c.Type.Name);
            Assert.Equal("PureBoot.PowerShell", c.Type.Namespace);
        }
    }

    // ------------------------------------------------------------------ manifest

    static string Manifest => File.ReadAllText(Path.Combine(ModuleMetadata.RepoRoot, "PureBoot.psd1"));

    static IReadOnlyList<string> ManifestList(string key)
    {
        var m = Regex.Match(Manifest, key + @"\s*=\s*@\(([^)]*)\)", RegexOptions.Singleline);
        Assert.True(m.Success, $"{key} not found in PureBoot.psd1");
        return Regex.Matches(m.Groups[1].Value, @"'([^']*)'").Select(x => x.Groups[1].Value).ToList();
    }

    static string ManifestValue(string key)
    {
        var m = Regex.Match(Manifest, @"(?m)^\s*" + key + @"\s*=\s*'([^']*)'");
        Assert.True(m.Success, $"{key} not found in PureBoot.psd1");
        return m.Groups[1].Value;
    }

    [Fact]
    public void ManifestExportsExactlyTheCmdletClasses()
    {
        var exported = ManifestList("CmdletsToExport");
        Assert.DoesNotContain(exported, e => e.Contains('*'));
        Assert.Equal(exported.Count, exported.Distinct().Count());
        Assert.Equal(M.Cmdlets.Select(c => c.Name).OrderBy(x => x, StringComparer.Ordinal), exported.OrderBy(x => x, StringComparer.Ordinal));
        Assert.Empty(ManifestList("FunctionsToExport"));
        Assert.Empty(ManifestList("AliasesToExport"));
    }

    [Fact]
    public void ManifestDescribesAPowerShell74CoreModule()
    {
        Assert.Equal("PureBoot.dll", ManifestValue("RootModule"));
        Assert.Equal("7.4", ManifestValue("PowerShellVersion"));
        Assert.Equal(new[] { "Core" }, ManifestList("CompatiblePSEditions"));
        Assert.Equal(new[] { "PureBoot.Format.ps1xml" }, ManifestList("FormatsToProcess"));
        Assert.True(Guid.TryParse(ManifestValue("GUID"), out _));
        Assert.Matches(@"^\d+\.\d+\.\d+$", ManifestValue("ModuleVersion"));
        Assert.False(string.IsNullOrWhiteSpace(ManifestValue("Author")));
        Assert.True(ManifestValue("Description").Length > 40);
        Assert.NotEmpty(ManifestList("Tags"));
        // No placeholder ProjectUri until the project has a public home; the license is LICENSE's, MIT.
        Assert.DoesNotMatch(@"(?m)^\s*ProjectUri\s*=", Manifest);
        Assert.Equal("https://opensource.org/license/mit", ManifestValue("LicenseUri"));
        Assert.Matches(@"ReleaseNotes\s*=\s*@'", Manifest);
        // The module version follows the build's (Directory.Build.props).
        var props = File.ReadAllText(Path.Combine(ModuleMetadata.RepoRoot, "Directory.Build.props"));
        var version = Regex.Match(props, "<Version>([^<]+)</Version>").Groups[1].Value;
        Assert.Equal(version, ManifestValue("ModuleVersion"));
    }

    // ------------------------------------------------------------------ pipelines

    /// <summary>Cmdlets meant to follow another in a pipeline, and the type that one writes.</summary>
    public static TheoryData<string, string, string> PipelinePairs => new()
    {
        { "New-IscsiLun", "Get-IscsiNode", "PureBoot.Core.Model.Node" },
        { "Set-IscsiLunAssignment", "New-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Set-IscsiLunAssignment", "Get-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Remove-IscsiLun", "Get-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Remove-IscsiLun", "Set-IscsiLunAssignment", "PureBoot.Core.Model.Lun" },
        { "Set-IscsiLun", "Get-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Resize-IscsiLun", "Get-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Remove-IscsiLunAssignment", "Get-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Get-IscsiLunChapCredential", "New-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Get-IscsiLunChapCredential", "Get-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Get-IscsiTargetStatus", "Get-IscsiBackend", "PureBoot.Core.Model.Backend" },
        { "Test-IscsiBackend", "Get-IscsiBackend", "PureBoot.Core.Model.Backend" },
        { "Set-IscsiBackend", "Get-IscsiBackend", "PureBoot.Core.Model.Backend" },
        { "Remove-IscsiBackend", "Get-IscsiBackend", "PureBoot.Core.Model.Backend" },
        { "Remove-IscsiNode", "Get-IscsiNode", "PureBoot.Core.Model.Node" },
        { "Sync-IscsiTarget", "Get-IscsiBackend", "PureBoot.Core.Model.Backend" },
        { "Sync-IscsiTarget", "Get-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Import-IscsiTargetConfig", "Get-IscsiBackend", "PureBoot.Core.Model.Backend" },
        { "Get-IscsiBootScript", "Get-IscsiNode", "PureBoot.Core.Model.Node" },
        { "Get-IscsiBootScript", "Get-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Get-IscsiBootScript", "Set-IscsiLunAssignment", "PureBoot.Core.Model.Lun" },
        { "Restart-IscsiTarget", "Get-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Restart-IscsiTarget", "Get-IscsiTargetStatus", "PureBoot.Core.Operations.LunTargetStatus" },
        { "Set-IscsiNode", "Get-IscsiNode", "PureBoot.Core.Model.Node" },
        { "Remove-IscsiImage", "Get-IscsiImage", "PureBoot.Core.Model.DiskImage" },
        { "Checkpoint-IscsiLun", "Get-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Get-IscsiLunSnapshot", "Get-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Remove-IscsiLunSnapshot", "Get-IscsiLunSnapshot", "PureBoot.Core.Model.LunSnapshot" },
        { "Remove-IscsiLunSnapshot", "Checkpoint-IscsiLun", "PureBoot.Core.Model.LunSnapshot" },
        { "Restore-IscsiLun", "Get-IscsiLunSnapshot", "PureBoot.Core.Model.LunSnapshot" },
        { "Reset-IscsiLun", "Get-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Update-IscsiLun", "Get-IscsiLun", "PureBoot.Core.Model.Lun" },
        { "Get-IscsiBackendSpace", "Get-IscsiBackend", "PureBoot.Core.Model.Backend" },
    };

    [Theory]
    [MemberData(nameof(PipelinePairs))]
    public void PipelineParametersBindFromTheUpstreamOutputType(string downstream, string upstream, string upstreamType)
    {
        var up = M.Cmdlet(upstream);
        var type = M.CoreType(upstreamType);
        Assert.Contains(up.OutputTypes, o => o.Type == type);
        var props = new HashSet<string>(ModuleMetadata.PropertyNames(type), StringComparer.OrdinalIgnoreCase);
        var down = M.Cmdlet(downstream);
        var byProperty = down.Parameters.Where(p => p.ByPropertyName).ToList();
        Assert.NotEmpty(byProperty);
        foreach (var p in byProperty)
            Assert.True(p.NamesAndAliases.Any(props.Contains),
                $"{downstream} -{p.Name} (aliases {string.Join(", ", p.Aliases)}) binds by property name but {type.Name} (from {upstream}) has no such property");
        // And some parameter set can be completed: its mandatory parameters bind from the object or are given on the command line.
        var givenOnCommandLine = new HashSet<string> { "SizeGB", "SizeBytes", "Backend", "Rollback" };
        var sets = down.Parameters.SelectMany(p => p.Sets.Select(s => s.Set)).Append(down.DefaultParameterSet ?? "__AllParameterSets")
            .Where(s => s != "__AllParameterSets").Distinct().DefaultIfEmpty("__AllParameterSets").ToList();
        var satisfiable = sets.Where(set => down.Parameters
            .Where(p => p.Sets.Any(s => (s.Set == set || s.Set == "__AllParameterSets") && s.Mandatory))
            .All(p => givenOnCommandLine.Contains(p.Name) || (p.ByPropertyName && p.NamesAndAliases.Any(props.Contains)))).ToList();
        Assert.True(satisfiable.Count > 0, $"{downstream} after {upstream}: no parameter set can be bound from {type.Name}");
    }

    [Fact]
    public void SetIscsiLunAssignmentBindsTheLunAndItsNode()
    {
        var c = M.Cmdlet("Set-IscsiLunAssignment");
        Assert.Contains("Lun", c.Parameter("Name").Aliases);
        var node = c.Parameter("Node");
        Assert.True(node.ByPropertyName);
        Assert.Contains("NodeName", node.Aliases);
        Assert.False(node.MandatoryInAnySet);   // defaults to the node named like the LUN
    }

    [Fact]
    public void TargetStatusBindsTheBackendOfBackendsAndLuns()
    {
        var p = M.Cmdlet("Get-IscsiTargetStatus").Parameter("Backend");
        // Name first would make a piped LUN's own name bind as a backend: BackendName must come before Name.
        Assert.Equal(new[] { "BackendName", "Name" }, p.Aliases);
    }

    [Fact]
    public void SyncAndImportBindTheBackendOfBackendsAndLuns()
    {
        foreach (var name in new[] { "Sync-IscsiTarget", "Import-IscsiTargetConfig" })
        {
            var p = M.Cmdlet(name).Parameter("Backend");
            Assert.True(p.ByPropertyName);
            Assert.Equal(0, p.Position);
            Assert.True(p.MandatoryInAnySet);
            // As for Get-IscsiTargetStatus: a piped LUN's own Name must not bind as a backend.
            Assert.Equal(new[] { "BackendName", "Name" }, p.Aliases);
        }
        Assert.Contains("SupportsWildcardsAttribute", M.Cmdlet("Sync-IscsiTarget").Parameter("Backend").Attributes);
        Assert.Contains("SupportsWildcardsAttribute", M.Cmdlet("Import-IscsiTargetConfig").Parameter("TargetIqn").Attributes);
    }

    [Fact]
    public void BootScriptBindsTheNodeOfNodesAndLuns()
    {
        var c = M.Cmdlet("Get-IscsiBootScript");
        var node = c.Parameter("Node");
        Assert.True(node.ByPropertyName);
        Assert.Equal(0, node.Position);
        // A piped LUN has both Name (its own) and NodeName: NodeName must be found first.
        Assert.Equal(new[] { "NodeName", "Name" }, node.Aliases);
        Assert.Equal(typeof(int).FullName, c.Parameter("PortalPort").Type.FullName);
        Assert.Equal("SwitchParameter", c.Parameter("Force").Type.Name);
        // Text on the pipeline by default; a BootScriptInfo (never the secret) once written to -Path.
        Assert.Contains(c.OutputTypes, o => o.Type.FullName == "System.String" && o.Set == c.DefaultParameterSet);
        var pathSet = c.Parameter("Path").Sets.Single();
        Assert.True(pathSet.Mandatory);
        Assert.Contains(c.OutputTypes, o => o.Type == M.CoreType("PureBoot.Core.Operations.BootScriptInfo") && o.Set == pathSet.Set);
        Assert.Equal(pathSet.Set, c.Parameter("Force").Sets.Single().Set);
    }

    [Fact]
    public void SaveBootScriptTakesTheNodeAndAPathPerPipedObject()
    {
        var c = M.Cmdlet("Save-IscsiBootScript");
        var node = c.Parameter("Node");
        Assert.True(node.ByPropertyName);
        Assert.Equal(new[] { "NodeName", "Name" }, node.Aliases);
        // -Path takes pipeline input so that a script block (-Path { "/srv/tftp/$($_.Name).ipxe" }) is evaluated per object.
        Assert.True(c.Parameter("Path").ByPropertyName);
        Assert.Equal("SwitchParameter", c.Parameter("PassThru").Type.Name);
        Assert.Contains(c.OutputTypes, o => o.Type == M.CoreType("PureBoot.Core.Operations.BootScriptInfo"));
    }

    [Fact]
    public void GetIscsiLunTakesPipedNodesAndBackendsByType()
    {
        var c = M.Cmdlet("Get-IscsiLun");
        var byType = c.Parameters.Where(p => p.ByValue).ToDictionary(p => p.Type.FullName!, p => p.Sets.Single());
        Assert.Equal(new[] { "PureBoot.Core.Model.Backend", "PureBoot.Core.Model.Node" }, byType.Keys.OrderBy(k => k));
        Assert.All(byType.Values, s => Assert.True(s.Mandatory));
        Assert.NotEqual(byType["PureBoot.Core.Model.Backend"].Set, byType["PureBoot.Core.Model.Node"].Set);
        Assert.DoesNotContain(c.Parameters, p => p.ByPropertyName);
    }

    [Fact]
    public void RestartTakesLunsOrNodesAndAPipedNodeSelectsItsOwnSet()
    {
        var c = M.Cmdlet("Restart-IscsiTarget");
        var lun = c.Parameter("Lun");
        var node = c.Parameter("Node");
        Assert.Equal(c.DefaultParameterSet, lun.Sets.Single().Set);
        Assert.NotEqual(lun.Sets.Single().Set, node.Sets.Single().Set);
        Assert.True(lun.ByPropertyName);
        Assert.Equal(new[] { "Name" }, lun.Aliases);
        Assert.True(node.Sets.Single().Mandatory);
        // PowerShell binds pipeline input to the default set first, so a piped Node's Name would land in -Lun.
        // Binding by type (ValueFromPipeline without coercion) comes before binding by property name: a Node-typed
        // parameter in a set of its own takes a piped Node first and so selects that set; a piped Lun is no Node
        // and goes on to -Lun by its Name.
        var byType = c.Parameters.Where(p => p.ByValue).ToList();
        Assert.Single(byType);
        Assert.Equal(M.CoreType("PureBoot.Core.Model.Node"), byType[0].Type);
        var set = byType[0].Sets.Single();
        Assert.True(set.Mandatory);
        Assert.NotEqual(c.DefaultParameterSet, set.Set);
        Assert.NotEqual(node.Sets.Single().Set, set.Set);
        Assert.DoesNotContain(c.Parameters, p => p.ByPropertyName && p.Sets.Any(s => s.Set == set.Set));
        // The Lun set has nothing that takes a Node by value, so PowerShell cannot pick it for one.
        Assert.DoesNotContain(c.Parameters, p => p.ByValue && p.Sets.Any(s => s.Set == lun.Sets.Single().Set || s.Set == "__AllParameterSets"));
    }

    /// <summary>PowerShell's common parameters and their aliases: no cmdlet parameter may reuse one.</summary>
    static readonly string[] CommonParameterNames =
    {
        "Verbose", "vb", "Debug", "db", "ErrorAction", "ea", "WarningAction", "wa", "InformationAction", "infa", "ProgressAction", "proga",
        "ErrorVariable", "ev", "WarningVariable", "wv", "InformationVariable", "iv", "OutVariable", "ov", "OutBuffer", "ob",
        "PipelineVariable", "pv", "WhatIf", "wi", "Confirm", "cf",
    };

    [Fact]
    public void NoTwoParametersShareANameOrAlias()
    {
        // PowerShell refuses the whole cmdlet (MetadataException) when a name or alias is used twice, even in
        // different parameter sets; nothing but running it would show that.
        foreach (var c in M.Cmdlets)
        {
            var names = c.Parameters.SelectMany(p => p.NamesAndAliases).ToList();
            var twice = names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(twice.Count == 0, $"{c.Name}: {string.Join(", ", twice)} used more than once");
            var common = names.Intersect(CommonParameterNames, StringComparer.OrdinalIgnoreCase).ToList();
            Assert.True(common.Count == 0, $"{c.Name}: {string.Join(", ", common)} is a common parameter");
        }
    }

    [Fact]
    public void SyncOffersOrphanRemovalAndAReport()
    {
        var c = M.Cmdlet("Sync-IscsiTarget");
        foreach (var s in new[] { "RemoveOrphans", "DeleteOrphanData", "Report" }) Assert.Equal("SwitchParameter", c.Parameter(s).Type.Name);
        Assert.True(c.Parameter("Report").MandatoryInAnySet);
        Assert.Contains(c.OutputTypes, o => o.Type == M.CoreType("PureBoot.Core.Operations.SyncAction") && o.Set == c.DefaultParameterSet);
        Assert.Contains(c.OutputTypes, o => o.Type == M.CoreType("PureBoot.Core.Operations.SyncReport") && o.Set == c.Parameter("Report").Sets.Single().Set);
    }

    [Fact]
    public void GetCmdletsTakeAWildcardNameAtPositionZero()
    {
        foreach (var name in new[] { "Get-IscsiBackend", "Get-IscsiNode", "Get-IscsiLun" })
        {
            var p = M.Cmdlet(name).Parameter("Name");
            Assert.Equal(0, p.Position);
            Assert.Contains("SupportsWildcardsAttribute", p.Attributes);
            Assert.Equal(typeof(string[]).FullName, p.Type.FullName);
            Assert.False(p.ByPropertyName, $"{name} -Name must not bind a piped object's Name (it would be another kind's name)");
        }
    }

    // ------------------------------------------------------------------ ShouldProcess

    [Fact]
    public void EveryChangeSupportsShouldProcess()
    {
        foreach (var c in M.Cmdlets.Where(c => !ReadOnlyVerbs.Contains(c.Verb) || GetCmdletsThatWriteFiles.Contains(c.Name)))
            Assert.True(c.SupportsShouldProcess, $"{c.Name} changes something but does not support -WhatIf/-Confirm");
        foreach (var c in M.Cmdlets.Where(c => ReadOnlyVerbs.Contains(c.Verb) && !GetCmdletsThatWriteFiles.Contains(c.Name)))
            Assert.False(c.SupportsShouldProcess, $"{c.Name} only reads; it should not offer -WhatIf");
        foreach (var name in GetCmdletsThatWriteFiles) Assert.Contains(M.Cmdlet(name).Parameters, p => p.Name == "Path");
    }

    [Fact]
    public void CmdletsThatCanDeleteOrDropSessionsHaveHighConfirmImpact()
    {
        // Sync-IscsiTarget finishes removals, rolls back creates and (with -RemoveOrphans) deletes; a restart drops sessions.
        foreach (var name in new[] { "Sync-IscsiTarget", "Restart-IscsiTarget" })
            Assert.True(M.Cmdlet(name).ConfirmImpact == CmdletMeta.ConfirmImpactHigh, $"{name} ConfirmImpact is {M.Cmdlet(name).ConfirmImpact}");
    }

    [Fact]
    public void EveryRemoveHasHighConfirmImpact()
    {
        var removes = M.Cmdlets.Where(c => c.Verb == "Remove").ToList();
        Assert.Equal(6, removes.Count);
        foreach (var c in removes) Assert.True(c.ConfirmImpact == CmdletMeta.ConfirmImpactHigh, $"{c.Name} ConfirmImpact is {c.ConfirmImpact}");
    }

    [Fact]
    public void BatchedCmdletsShareTheBatchBaseOf250()
    {
        var baseName = "LunBatchCmdlet`1";
        foreach (var name in new[] { "New-IscsiLun", "Set-IscsiLunAssignment", "Remove-IscsiLun", "Remove-IscsiLunAssignment",
                     "Checkpoint-IscsiLun", "Remove-IscsiLunSnapshot", "Restore-IscsiLun", "Reset-IscsiLun", "Update-IscsiLun" })
            Assert.Equal(baseName, M.Cmdlet(name).Type.BaseType!.Name);
        var batch = M.Module.GetType("PureBoot.PowerShell.LunBatchCmdlet`1", throwOnError: true)!;
        Assert.Equal(250, batch.GetField("BatchSize")!.GetRawConstantValue());
    }

    /// <summary>The output rule (docs/POWERSHELL.md): verbs that make or read write their objects; verbs that change or
    /// remove write nothing unless -PassThru.</summary>
    static readonly HashSet<string> PassThruVerbs = new(StringComparer.Ordinal) { "Set", "Remove", "Resize", "Restart", "Save", "Reset", "Restore", "Update" };

    [Fact]
    public void OneOutputRuleChangeVerbsOfferPassThruAndTheOthersAlwaysWrite()
    {
        foreach (var c in M.Cmdlets)
        {
            var has = c.Parameters.Any(p => p.Name == "PassThru");
            if (PassThruVerbs.Contains(c.Verb)) Assert.True(has && c.Parameter("PassThru").Type.Name == "SwitchParameter", $"{c.Name} changes something and has no -PassThru");
            else Assert.False(has, $"{c.Name} always writes its result; -PassThru would be a second rule");
        }
    }

    [Fact]
    public void NewCmdletsTakeIfNotExistsAndBatchesASummaryVariable()
    {
        foreach (var name in new[] { "New-IscsiBackend", "New-IscsiNode", "New-IscsiLun" })
            Assert.Equal("SwitchParameter", M.Cmdlet(name).Parameter("IfNotExists").Type.Name);
        foreach (var name in new[] { "New-IscsiBackend", "New-IscsiNode", "New-IscsiLun", "Set-IscsiLunAssignment", "Remove-IscsiLun", "Remove-IscsiLunAssignment" })
            Assert.Equal(typeof(string).FullName, M.Cmdlet(name).Parameter("SummaryVariable").Type.FullName);
    }

    [Fact]
    public void CmdletsThatActOnNamesTakeManyNames()
    {
        foreach (var c in M.Cmdlets.Where(c => c.Parameters.Any(p => p.Name == "Name") && c.Name is not ("New-IscsiBackend" or "New-IscsiNode" or "New-IscsiImage")))
            Assert.True(c.Parameter("Name").Type.FullName == typeof(string[]).FullName, $"{c.Name} -Name is {c.Parameter("Name").Type.Name}");
        foreach (var (name, p) in new[] { ("Restart-IscsiTarget", "Lun"), ("Restart-IscsiTarget", "Node"), ("Get-IscsiBootScript", "Node"), ("Sync-IscsiTarget", "Backend"),
                     ("Import-IscsiTargetConfig", "Backend"), ("Get-IscsiTargetStatus", "Backend"), ("Get-IscsiLun", "Backend"), ("Get-IscsiLun", "Node") })
            Assert.Equal(typeof(string[]).FullName, M.Cmdlet(name).Parameter(p).Type.FullName);
    }

    // ------------------------------------------------------------------ parameters

    [Fact]
    public void EveryCmdletHasTheDatabaseParameterAndAnOutputType()
    {
        foreach (var c in M.Cmdlets)
        {
            var db = c.Parameter("Database");
            Assert.Equal(typeof(string).FullName, db.Type.FullName);
            Assert.False(db.MandatoryInAnySet);
            Assert.NotEmpty(c.OutputTypes);
            foreach (var (type, _) in c.OutputTypes)
                Assert.True(type.Assembly.GetName().Name == "PureBoot.Core" || type.FullName is "System.Management.Automation.PSCredential" or "System.Boolean" or "System.String",
                    $"{c.Name} declares output type {type.FullName}");
        }
    }

    [Fact]
    public void NoSecretEverTravelsAsAPlainString()
    {
        foreach (var c in M.Cmdlets)
            foreach (var p in c.Parameters)
            {
                var names = p.NamesAndAliases.ToList();
                var secretish = names.Any(n => Regex.IsMatch(n, "secret|password|passphrase", RegexOptions.IgnoreCase));
                if (secretish)
                    Assert.True(p.Type.FullName is "System.Management.Automation.PSCredential" or "System.Security.SecureString",
                        $"{c.Name} -{p.Name} looks like a secret but is {p.Type.FullName}");
                if (p.Type.FullName == "System.String")
                    Assert.False(secretish, $"{c.Name} -{p.Name} is a plain string secret");
            }
        foreach (var name in new[] { "New-IscsiLun", "Set-IscsiLun" })
            foreach (var p in new[] { "ChapCredential", "MutualChapCredential" })
            {
                var meta = M.Cmdlet(name).Parameter(p);
                Assert.Equal("System.Management.Automation.PSCredential", meta.Type.FullName);
                Assert.Contains("CredentialAttribute", meta.Attributes);
            }
        Assert.Equal(new[] { (M.SmaType("System.Management.Automation.PSCredential"), (string?)null) }, M.Cmdlet("Get-IscsiLunChapCredential").OutputTypes);
    }

    [Fact]
    public void ChapAndSizeSwitchesExist()
    {
        var create = M.Cmdlet("New-IscsiLun");
        foreach (var s in new[] { "NoChap", "MutualChap" }) Assert.Equal("SwitchParameter", create.Parameter(s).Type.Name);
        Assert.Equal(typeof(double).FullName, create.Parameter("SizeGB").Type.FullName);
        Assert.Equal(typeof(long).FullName, create.Parameter("SizeBytes").Type.FullName);
        Assert.NotEqual(create.Parameter("SizeGB").Sets.Single().Set, create.Parameter("SizeBytes").Sets.Single().Set);
        var set = M.Cmdlet("Set-IscsiLun");
        foreach (var s in new[] { "RotateChap", "EnableChap", "DisableChap", "MutualChap", "PassThru" }) Assert.Equal("SwitchParameter", set.Parameter(s).Type.Name);
    }

    [Fact]
    public void NewIscsiBackendHasEveryBackendSetting()
    {
        var c = M.Cmdlet("New-IscsiBackend");
        foreach (var p in new[] { "Name", "Transport", "HostName", "Port", "User", "IdentityFile", "UseSudo", "HostKeyPolicy", "KnownHostsFile", "IqnPrefix",
                     "PortalAddress", "PortalPort", "Storage", "StoragePath", "ImageDirectory", "Mode", "SimulationStatePath", "Description" })
            Assert.Contains(c.Parameters, x => x.Name == p);
        Assert.Equal("PureBoot.Core.Model.TransportKind", c.Parameter("Transport").Type.FullName);
        Assert.Equal("PureBoot.Core.Model.StorageKind", c.Parameter("Storage").Type.FullName);
        Assert.Equal("PureBoot.Core.Model.TargetMode", c.Parameter("Mode").Type.FullName);
    }

    [Fact]
    public void AuditLogHasItsFilters()
    {
        var c = M.Cmdlet("Get-PureBootAuditLog");
        foreach (var p in new[] { "Since", "Until", "ObjectName", "Operation", "Outcome", "Last" }) Assert.Contains(c.Parameters, x => x.Name == p);
    }

    [Fact]
    public void NameParametersCompleteFromTheInventory()
    {
        var expected = new Dictionary<string, string>
        {
            ["Set-IscsiBackend/Name"] = "BackendNameCompleter", ["Remove-IscsiBackend/Name"] = "BackendNameCompleter",
            ["Test-IscsiBackend/Name"] = "BackendNameCompleter", ["Get-IscsiBackend/Name"] = "BackendNameCompleter",
            ["New-IscsiLun/Backend"] = "BackendNameCompleter", ["Get-IscsiTargetStatus/Backend"] = "BackendNameCompleter",
            ["Get-IscsiNode/Name"] = "NodeNameCompleter", ["Remove-IscsiNode/Name"] = "NodeNameCompleter",
            ["Set-IscsiLunAssignment/Node"] = "NodeNameCompleter", ["Get-IscsiLun/Node"] = "NodeNameCompleter",
            ["Get-IscsiLun/Name"] = "LunNameCompleter", ["Set-IscsiLun/Name"] = "LunNameCompleter", ["Resize-IscsiLun/Name"] = "LunNameCompleter",
            ["Remove-IscsiLun/Name"] = "LunNameCompleter", ["Set-IscsiLunAssignment/Name"] = "LunNameCompleter",
            ["Remove-IscsiLunAssignment/Name"] = "LunNameCompleter", ["Get-IscsiLunChapCredential/Name"] = "LunNameCompleter",
            ["Sync-IscsiTarget/Backend"] = "BackendNameCompleter", ["Import-IscsiTargetConfig/Backend"] = "BackendNameCompleter",
            ["Get-IscsiBootScript/Node"] = "NodeNameCompleter", ["Restart-IscsiTarget/Node"] = "NodeNameCompleter",
            ["Restart-IscsiTarget/Lun"] = "LunNameCompleter", ["Set-IscsiNode/Name"] = "NodeNameCompleter",
            ["Save-IscsiBootScript/Node"] = "NodeNameCompleter", ["Get-IscsiLun/Backend"] = "BackendNameCompleter",
            ["Get-PureBootAuditLog/ObjectName"] = "AuditObjectNameCompleter", ["Get-PureBootAuditLog/Operation"] = "AuditOperationCompleter",
            ["New-IscsiImage/Backend"] = "BackendNameCompleter", ["New-IscsiImage/Lun"] = "LunNameCompleter", ["Get-IscsiImage/Backend"] = "BackendNameCompleter",
            ["Checkpoint-IscsiLun/Name"] = "LunNameCompleter", ["Get-IscsiLunSnapshot/Lun"] = "LunNameCompleter", ["Remove-IscsiLunSnapshot/Lun"] = "LunNameCompleter",
            ["Restore-IscsiLun/Name"] = "LunNameCompleter", ["Reset-IscsiLun/Name"] = "LunNameCompleter", ["Update-IscsiLun/Name"] = "LunNameCompleter",
            ["Get-IscsiBackendSpace/Backend"] = "BackendNameCompleter",
        };
        var completerInterface = M.SmaType("System.Management.Automation.IArgumentCompleter");
        foreach (var (key, completer) in expected)
        {
            var parts = key.Split('/');
            var p = M.Cmdlet(parts[0]).Parameter(parts[1]);
            Assert.True(p.Completer?.Name == completer, $"{key} completer is {p.Completer?.Name ?? "none"}");
            Assert.Contains(completerInterface, p.Completer!.GetInterfaces());
        }
    }

    [Fact]
    public void TheModuleInitializerFindsNativeSqlite()
    {
        var init = M.Module.GetType("PureBoot.PowerShell.ModuleInitializer", throwOnError: true)!;
        var names = init.GetInterfaces().Select(i => i.FullName).ToList();
        Assert.Contains("System.Management.Automation.IModuleAssemblyInitializer", names);
        Assert.Contains("System.Management.Automation.IModuleAssemblyCleanup", names);
    }

    [Fact]
    public void ErrorIdsAreStableAndDistinct()
    {
        var ids = M.Module.GetType("PureBoot.PowerShell.PureBootErrorIds", throwOnError: true)!
            .GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);
        foreach (var (name, id) in ids) Assert.Equal("PureBoot." + name, id);
        foreach (var required in new[] { "InvalidArgument", "NotFound", "Conflict", "HostUnavailable", "SecretUnavailable", "NodeRequired", "LunCreateFailed", "SyncFailed", "RestartFailed", "NodeUpdateFailed" })
            Assert.Contains(required, ids.Keys);
    }

    [Fact]
    public void TheModuleDoesNotShipPowerShellItself()
    {
        var csproj = File.ReadAllText(Path.Combine(ModuleMetadata.RepoRoot, "src", "PureBoot.PowerShell", "PureBoot.PowerShell.csproj"));
        Assert.Matches(@"PowerShellStandard\.Library""[^>]*PrivateAssets=""all""[^>]*ExcludeAssets=""runtime""", csproj);
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, "System.Management.Automation.dll")));
        Assert.Equal("net8.0", Regex.Match(csproj, "<TargetFramework>([^<]+)</TargetFramework>").Groups[1].Value);
    }

    // ------------------------------------------------------------------ format file

    static XDocument FormatFile => XDocument.Load(Path.Combine(ModuleMetadata.RepoRoot, "PureBoot.Format.ps1xml"));

    [Fact]
    public void EveryFormattedTypeAndPropertyExistsOnTheCoreTypes()
    {
        var views = FormatFile.Descendants("View").ToList();
        Assert.NotEmpty(views);
        foreach (var view in views)
        {
            var typeNames = view.Element("ViewSelectedBy")!.Elements("TypeName").Select(e => e.Value.Trim()).ToList();
            Assert.NotEmpty(typeNames);
            Assert.Empty(view.Descendants("ScriptBlock"));   // property names only, so this test can check them
            foreach (var typeName in typeNames)
            {
                var type = M.Core.GetType(typeName) ?? M.Module.GetType(typeName);
                Assert.True(type is not null, $"format view names {typeName}, which is not a PureBoot type");
                var props = ModuleMetadata.PropertyNames(type!);
                foreach (var p in view.Descendants("PropertyName").Select(e => e.Value.Trim()))
                    Assert.True(props.Contains(p), $"format view for {typeName} shows {p}, which {type!.Name} does not have");
                var headers = view.Descendants("TableColumnHeader").Count();
                var items = view.Descendants("TableColumnItem").Count();
                if (headers > 0) Assert.Equal(headers, items);
            }
        }
    }

    [Theory]
    [InlineData("PureBoot.Core.Model.Lun", "Name,Backend,SizeGB,Status,Node,Chap")]
    [InlineData("PureBoot.Core.Operations.LunTargetStatus", "Name,Status,Node,InSync,Drift")]
    [InlineData("PureBoot.Core.Model.Backend", "Name,Transport,Endpoint,Storage,Mode,StoragePath")]
    [InlineData("PureBoot.Core.Model.Node", "Name,MacAddress,InitiatorIqn")]
    [InlineData("PureBoot.Core.Model.AuditEntry", "Time,Operation,ObjectType,ObjectName,Outcome")]
    [InlineData("PureBoot.Core.Operations.BackendTestReport", "Backend,Passed,Reachable,Configfs,DBus,Storage,Error")]
    [InlineData("PureBoot.Core.Operations.DriftItem", "Kind,Lun,Detail,Object")]
    [InlineData("PureBoot.Core.Operations.SyncAction", "Kind,Lun,Description,Object")]
    [InlineData("PureBoot.Core.Operations.BootScriptInfo", "Node,Lun,Chap,RootPath")]
    [InlineData("PureBoot.PowerShell.BatchSummary", "Command,Total,Ok,Failed,Unchanged,Planned,WhatIf")]
    [InlineData("PureBoot.PowerShell.BatchItemResult", "Name,State,ErrorId,Message")]
    [InlineData("PureBoot.Core.Model.DiskImage", "Name,Version,Backend,SizeGB,AllocatedGB,LUNs,Status")]
    [InlineData("PureBoot.Core.Model.LunSnapshot", "Lun,Snapshot,Image,SizeGB,Status")]
    [InlineData("PureBoot.Core.Operations.BackendSpace", "Backend,Storage,CloneMethod,ThinPool,SizeGB,FreeGB,Fill%,Limit%")]
    [InlineData("PureBoot.Core.Operations.LunRolloutPlan", "Lun,Action,FromImage,ToImage,Snapshot,Reason")]
    public void TableViewsShowTheDesignedColumns(string type, string columns)
    {
        var view = FormatFile.Descendants("View").Single(v => v.Element("ViewSelectedBy")!.Elements("TypeName").Any(t => t.Value.Trim() == type));
        var labels = view.Descendants("TableColumnHeader").Select(h => h.Element("Label")!.Value.Trim()).ToList();
        Assert.Equal(columns.Split(','), labels);
    }

    [Fact]
    public void EveryTableFitsEightyColumnsWithItsLongColumnLast()
    {
        foreach (var view in FormatFile.Descendants("View").Where(v => v.Element("TableControl") is not null))
        {
            var name = view.Element("Name")!.Value;
            var widths = view.Descendants("TableColumnHeader").Select(h => h.Element("Width") is { } w ? int.Parse(w.Value) : (int?)null).ToList();
            // At most one column has no width (it takes the rest of the line), and it is the last one, which wraps.
            Assert.True(widths.Take(widths.Count - 1).All(w => w is not null), $"{name}: only the last column may have no width");
            var fixedWidth = widths.Sum(w => w ?? 0) + widths.Count - 1;
            var rest = widths[^1] is null ? 12 : 0;
            Assert.True(fixedWidth + rest <= 80, $"{name}: {fixedWidth} columns fixed, {rest} for the last: wider than 80");
            if (widths[^1] is null) Assert.NotNull(view.Descendants("Wrap").FirstOrDefault());
        }
    }

    [Fact]
    public void NoViewShowsASecret()
    {
        var shown = FormatFile.Descendants().Where(e => e.Name.LocalName is "PropertyName" or "Label").Select(e => e.Value).ToList();
        Assert.DoesNotContain(shown, s => Regex.IsMatch(s, "secret|password|sealed", RegexOptions.IgnoreCase));
        Assert.DoesNotContain(FormatFile.Descendants("TypeName"), t => t.Value.Contains("ChapCredential"));
        // And the Core types in the views have no public secret-bearing property to show by default.
        foreach (var type in FormatFile.Descendants("TypeName").Select(t => t.Value.Trim()).Distinct())
            Assert.DoesNotContain(ModuleMetadata.PropertyNames(M.Core.GetType(type) ?? M.Module.GetType(type, throwOnError: true)!), p => Regex.IsMatch(p, "secret|password|sealed", RegexOptions.IgnoreCase));
    }

    // ------------------------------------------------------------------ help

    static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    static XDocument Help => XDocument.Load(Path.Combine(ModuleMetadata.RepoRoot, "en-US", "PureBoot.dll-Help.xml"));

    static string Text(XElement? e) => e is null ? "" : string.Join(" ", e.Descendants(Maml + "para").Select(p => p.Value.Trim())).Trim();

    [Fact]
    public void EveryCmdletHasHelpWithSynopsisDescriptionParametersAndAnExample()
    {
        var commands = Help.Root!.Elements(Command + "command").ToDictionary(c => c.Element(Command + "details")!.Element(Command + "name")!.Value.Trim());
        Assert.Equal(M.Cmdlets.Select(c => c.Name).OrderBy(x => x, StringComparer.Ordinal), commands.Keys.OrderBy(x => x, StringComparer.Ordinal));
        foreach (var c in M.Cmdlets)
        {
            var help = commands[c.Name];
            var details = help.Element(Command + "details")!;
            Assert.Equal(c.Verb, details.Element(Command + "verb")!.Value.Trim());
            Assert.Equal(c.Noun, details.Element(Command + "noun")!.Value.Trim());
            Assert.True(Text(details.Element(Maml + "description")).Length > 15, $"{c.Name}: synopsis missing");
            Assert.True(Text(help.Element(Maml + "description")).Length > 40, $"{c.Name}: description missing");
            var examples = help.Element(Command + "examples")?.Elements(Command + "example").ToList() ?? new();
            Assert.True(examples.Count >= 1, $"{c.Name}: no example");
            foreach (var ex in examples)
            {
                var code = ex.Element(Dev + "code")!.Value;
                Assert.Contains(c.Name, code);
                Assert.True(Text(ex.Element(Dev + "remarks")).Length > 10, $"{c.Name}: an example has no explanation");
            }
            var documented = help.Element(Command + "parameters")?.Elements(Command + "parameter")
                .ToDictionary(p => p.Element(Maml + "name")!.Value.Trim()) ?? new();
            foreach (var p in c.Parameters)
            {
                Assert.True(documented.ContainsKey(p.Name), $"{c.Name} -{p.Name} is not in the help");
                Assert.True(Text(documented[p.Name].Element(Maml + "description")).Length > 5, $"{c.Name} -{p.Name} has no description in the help");
            }
            var real = c.Parameters.Select(p => p.Name).Concat(c.SupportsShouldProcess ? new[] { "WhatIf", "Confirm" } : Array.Empty<string>()).ToHashSet();
            foreach (var name in documented.Keys)
                Assert.True(real.Contains(name), $"the help of {c.Name} documents -{name}, which does not exist");
            // Syntax: one item per parameter set, naming only real parameters.
            var syntax = help.Element(Command + "syntax")!.Elements(Command + "syntaxItem").ToList();
            Assert.NotEmpty(syntax);
            foreach (var item in syntax)
                foreach (var p in item.Elements(Command + "parameter"))
                    Assert.Contains(p.Element(Maml + "name")!.Value.Trim(), real);
        }
    }

    [Fact]
    public void ChapCredentialHelpSaysItRevealsTheSecretOnPurpose()
    {
        var help = Help.Root!.Elements(Command + "command").Single(c => c.Element(Command + "details")!.Element(Command + "name")!.Value.Trim() == "Get-IscsiLunChapCredential");
        var text = Text(help.Element(Maml + "description")) + " " + Text(help.Element(Command + "details")!.Element(Maml + "description"));
        Assert.Matches("(?i)reveal", text);
        Assert.Matches("(?i)on purpose|deliberately|intentionally", text);
        Assert.Matches("(?i)audit", text);
    }

    [Fact]
    public void BootScriptHelpSaysTheSecretIsInPlainTextAndTheFileMustStayPrivate()
    {
        var help = Help.Root!.Elements(Command + "command").Single(c => c.Element(Command + "details")!.Element(Command + "name")!.Value.Trim() == "Get-IscsiBootScript");
        var text = Text(help.Element(Maml + "description"));
        Assert.Matches("(?i)CHAP secret", text);
        Assert.Matches("(?i)plain text", text);
        Assert.Matches("iPXE", text);
        Assert.Matches("0600", text);
        Assert.Matches("(?i)private", text);
    }

    [Fact]
    public void SyncHelpSaysWhatIfChangesNothing()
    {
        var help = Help.Root!.Elements(Command + "command").Single(c => c.Element(Command + "details")!.Element(Command + "name")!.Value.Trim() == "Sync-IscsiTarget");
        Assert.Matches("(?i)-WhatIf[^.]*(changes|sends) nothing", Text(help.Element(Maml + "description")));
        Assert.Contains("PureBoot.SyncFailed", help.ToString());
    }

    [Fact]
    public void AssignmentHelpDocumentsTheLunNamedAfterItsNodeConvention()
    {
        var help = Help.Root!.Elements(Command + "command").Single(c => c.Element(Command + "details")!.Element(Command + "name")!.Value.Trim() == "Set-IscsiLunAssignment");
        Assert.Contains("named after its node", help.ToString());
        Assert.Contains("PureBoot.NodeRequired", help.ToString());
    }
}
