using System.Management.Automation;

namespace PureBoot.PowerShell;

/// <summary>Import-Module: lets the runtime find the module's native SQLite. Remove-Module: closes the inventories.</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    public void OnImport() => NativeLibraryResolver.Register();

    public void OnRemove(PSModuleInfo psModuleInfo) => EngineCache.DisposeAll();
}
