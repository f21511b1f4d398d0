using System.Text.RegularExpressions;

namespace NotifyPush.Core.Tests;

/// <summary>
/// Dependencies inside Core point one way, as between the projects: each folder (namespace) may use only the folders
/// listed for it below, so a reader can take them in this order and never meet a type from a folder still ahead. The
/// test reads the source: every <c>using NotifyPush.Core.X</c> and every <c>NotifyPush.Core.X.</c> written out in a
/// file of folder F must name an allowed X.
/// </summary>
public sealed partial class CoreLayeringTests
{
    // In reading order; README.md's Core table says the same.
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["Options"] = [],
        ["Storage"] = ["Options"],
        ["Backplane"] = [],
        ["Diagnostics"] = ["Storage", "Backplane"],
        ["Protocol"] = ["Storage"],
        ["Delivery"] = ["Options", "Storage", "Backplane", "Diagnostics", "Protocol"],
        ["Connections"] = ["Options", "Storage", "Backplane", "Diagnostics", "Protocol", "Delivery"],
        ["Presence"] = ["Options", "Storage", "Backplane", "Diagnostics", "Connections"],
        ["Hosting"] = ["Options", "Storage", "Backplane", "Diagnostics", "Protocol", "Delivery", "Connections", "Presence"],
    };

    [Fact]
    public void EveryFolderOfCore_UsesOnlyTheFoldersBeforeIt()
    {
        var core = Path.Combine(RepositoryRoot(), "src", "NotifyPush.Core");
        var folders = Directory.GetDirectories(core).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).ToArray();
        Assert.Equal(Allowed.Keys.Order(), folders.Order()!);

        var backwards = new List<string>();
        foreach (var folder in folders)
        {
            foreach (var file in Directory.GetFiles(Path.Combine(core, folder!), "*.cs", SearchOption.AllDirectories))
            {
                var text = File.ReadAllText(file);
                foreach (var used in CoreReference().Matches(text).Select(m => m.Groups[1].Value).Distinct())
                {
                    if (used != folder && !Allowed[folder!].Contains(used))
                    {
                        backwards.Add($"{Path.GetRelativePath(core, file)} uses NotifyPush.Core.{used}");
                    }
                }
            }
        }

        Assert.True(backwards.Count == 0, "Backward dependencies inside Core:\n" + string.Join("\n", backwards));
    }

    [Fact]
    public void TheCheck_FindsAUsingAndAWrittenOutName()
    {
        var found = CoreReference().Matches("using NotifyPush.Core.Delivery;\nvar x = new NotifyPush.Core.Connections.DrainState();")
            .Select(m => m.Groups[1].Value);

        Assert.Equal(["Delivery", "Connections"], found);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "NotifyPush.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("NotifyPush.sln not found above " + AppContext.BaseDirectory);
    }

    // "NotifyPush.Core.X" followed by '.' or ';' (a namespace, not NotifyPush.Core.Tests or the root's own types).
    [GeneratedRegex(@"\bNotifyPush\.Core\.([A-Z][A-Za-z]+)[.;]")]
    private static partial Regex CoreReference();
}
