using System.Globalization;

namespace NotifyPush.Bench.Measurement;

/// <summary>What <c>/proc</c> says about a server process: resident memory, sockets, threads, CPU time.</summary>
internal static class ProcessStats
{
    /// <summary>
    /// Reads VmRSS, RssAnon and Threads from <c>/proc/&lt;pid&gt;/status</c>, and with <paramref name="countSockets"/> the
    /// socket descriptors (one readlink per descriptor: 18,000 system calls for a full replica, so not for the
    /// periodic peak sampling); null when the process is gone.
    /// </summary>
    public static ProcessSample? Read(int pid, bool countSockets)
    {
        try
        {
            long rss = 0, anon = 0, file = 0;
            var threads = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line);
                }
                else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                {
                    anon = Kilobytes(line);
                }
                else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
                {
                    file = Kilobytes(line);
                }
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line.AsSpan("Threads:".Length).Trim(), CultureInfo.InvariantCulture);
                }
            }

            return new ProcessSample(rss, anon, file, threads, countSockets ? CountSockets(pid) : null, CpuSeconds(pid));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// User plus system CPU time the process has used (all its threads), from fields 14 and 15 of
    /// <c>/proc/&lt;pid&gt;/stat</c>; null when the process is gone. The same reading for NotifyPush's replicas and for
    /// every peer's nodes, so cost per message compares like with like.
    /// </summary>
    public static double? CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks / (double)ClockTicksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The processes whose CPU counts as the servers' backends: Redis and every PostgreSQL process.</summary>
    internal static readonly string[] BackendCommands = ["redis-server", "postgres"];

    /// <summary>
    /// CPU seconds of every running process whose command name (<c>/proc/&lt;pid&gt;/comm</c>) is one of
    /// <paramref name="commands"/>, by pid. On a benchmark box these are the run's own Redis and PostgreSQL.
    /// </summary>
    public static Dictionary<int, double> CpuSecondsByCommand(IReadOnlyCollection<string> commands)
    {
        var result = new Dictionary<int, double>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (commands.Contains(File.ReadAllText(Path.Combine(directory, "comm")).Trim()) && CpuSeconds(pid) is { } seconds)
                {
                    result[pid] = seconds;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while it was being read.
            }
        }

        return result;
    }

    /// <summary>
    /// CPU seconds of the processes <paramref name="roots"/> and their direct children, by pid (a postmaster and its
    /// backends; a redis-server), so that a run reads its own servers only on a machine that runs others too.
    /// </summary>
    public static Dictionary<int, double> CpuSecondsOfTrees(IReadOnlyCollection<int> roots)
    {
        var result = new Dictionary<int, double>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (roots.Contains(pid) || roots.Contains(parent))
                {
                    var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                    result[pid] = ticks / (double)ClockTicksPerSecond;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while it was being read.
            }
        }

        return result;
    }

    /// <summary>
    /// CPU used between two readings of <see cref="CpuSecondsByCommand"/>: the growth of every process seen both times,
    /// plus all of a process that started in between. A process that ended in between is not counted.
    /// </summary>
    public static double CpuSecondsBetween(IReadOnlyDictionary<int, double> before, IReadOnlyDictionary<int, double> after) =>
        after.Sum(pair => pair.Value - (before.TryGetValue(pair.Key, out var earlier) ? earlier : 0));

    /// <summary>USER_HZ, the unit of <c>/proc/&lt;pid&gt;/stat</c> times: 100 on every Linux architecture .NET runs on.</summary>
    private const int ClockTicksPerSecond = 100;

    /// <summary>Open descriptors of the process that are sockets.</summary>
    private static int CountSockets(int pid)
    {
        var count = 0;
        try
        {
            foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:", StringComparison.Ordinal))
                {
                    count++;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The process exited meanwhile.
        }

        return count;
    }

    private static long Kilobytes(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(parts[1], CultureInfo.InvariantCulture);
    }

    /// <summary>The machine's 1-minute load average.</summary>
    public static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }
}

/// <summary>One reading of a process: kilobytes resident (all, anonymous, file-backed), threads, socket descriptors, CPU seconds used.</summary>
internal sealed record ProcessSample(long RssKb, long RssAnonKb, long RssFileKb, int Threads, int? SocketFds, double? CpuSeconds = null);
