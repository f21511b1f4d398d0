namespace NotifyPush.Testing;

/// <summary>Files of the repository the tests run from (the folder holding NotifyPush.sln above the test's output).</summary>
public static class RepositoryFiles
{
    /// <summary>The repository's root folder.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The full path of <paramref name="relative"/> (forward slashes) under the root.</summary>
    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "NotifyPush.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"NotifyPush.sln was not found above {AppContext.BaseDirectory}.");
    }
}
