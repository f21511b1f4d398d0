namespace NotifyPush.Browser.Tests.Infrastructure;

/// <summary>Where the browser tests keep screenshots: <c>NOTIFYPUSH_TEST_ARTIFACTS</c>, else <c>TestResults/browser</c> next to the test assembly.</summary>
public static class Artifacts
{
    public const string DirectoryVariable = "NOTIFYPUSH_TEST_ARTIFACTS";

    public static string Directory
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(DirectoryVariable);
            var directory = string.IsNullOrWhiteSpace(configured)
                ? Path.Combine(AppContext.BaseDirectory, "TestResults", "browser")
                : Path.GetFullPath(configured);
            System.IO.Directory.CreateDirectory(directory);
            return directory;
        }
    }

    /// <summary>The full path of an artifact file with this name (characters unfit for a file name replaced).</summary>
    public static string PathFor(string fileName)
    {
        var safe = string.Concat(fileName.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
        return Path.Combine(Directory, safe);
    }
}
