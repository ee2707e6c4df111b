using System.Text.Json;
using Xunit;
namespace PureBoot.Tests.Unit.Module;
public class TmpDump
{
    [Fact]
    public void Dump()
    {
        var M = ModuleMetadata.Instance;
        var data = M.Cmdlets.Select(c => new {
            name = c.Name, verb = c.Verb, noun = c.Noun, ssp = c.SupportsShouldProcess, defaultSet = c.DefaultParameterSet,
            outputs = c.OutputTypes.Select(o => o.Type.FullName).Distinct().ToList(),
            parameters = c.Parameters.Select(p => new {
                name = p.Name, type = p.Type.FullName, typeName = p.Type.Name, aliases = p.Aliases, byProp = p.ByPropertyName, byValue = p.ByValue,
                wildcards = p.Attributes.Contains("SupportsWildcardsAttribute"),
                enumValues = p.Type.IsEnum ? p.Type.GetFields().Where(f => f.IsLiteral).Select(f => f.Name).ToList() : null,
                sets = p.Sets.Select(s => new { set = s.Set, mandatory = s.Mandatory, position = s.Position }).ToList(),
            }).ToList(),
        });
        File.WriteAllText("/tmp/meta.json", JsonSerializer.Serialize(data, new JsonSerializerOptions { WriteIndented = true }));
    }
}
