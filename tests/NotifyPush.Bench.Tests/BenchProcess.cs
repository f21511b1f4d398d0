namespace NotifyPush.Bench.Tests;

/// <summary>Runs the bench tool as a child process (as CI would by hand) and returns its exit code and output.</summary>
internal static class BenchProcess
{
    public static Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, params string[] args) =>
        ChildProcess.RunAsync("bench", ChildProcess.DotnetHost(), [Path.Combine(AppContext.BaseDirectory, "NotifyPush.Bench.dll"), .. args], Environment.CurrentDirectory, timeout);
}
