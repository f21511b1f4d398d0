using System.Globalization;
using NotifyPush.Core.Options;

namespace NotifyPush.Server.Hosting;

/// <summary>
/// How many connections and sockets this replica takes, from <see cref="ConnectionOptions"/> or, by default, from
/// the process's open-file limit: past that limit accept() fails and the replica stops answering anyone, so it
/// refuses connections below it instead.
/// </summary>
public sealed class ReplicaCapacity
{
    /// <summary>Descriptors kept free for the store's pool, Redis, the runtime and files.</summary>
    public const int ReservedFileDescriptors = 1024;

    /// <summary>Connections kept free for HTTP requests (the service API, health checks) when sockets are full.</summary>
    public const int ReservedHttpConnections = 256;

    public ReplicaCapacity(ConnectionOptions options, long? openFileLimit)
    {
        ArgumentNullException.ThrowIfNull(options);
        OpenFileLimit = openFileLimit;
        MaxConnections = options.MaxConnections > 0
            ? options.MaxConnections
            : openFileLimit is { } limit && limit < int.MaxValue ? (int)Math.Max(ReservedHttpConnections * 2, limit - ReservedFileDescriptors) : null;
        MaxSockets = options.MaxSockets > 0
            ? options.MaxSockets
            : MaxConnections is { } connections ? Math.Max(1, connections - ReservedHttpConnections) : null;
    }

    /// <summary>The soft open-file limit of the process; null where it cannot be read (not Linux) or is unlimited.</summary>
    public long? OpenFileLimit { get; }

    /// <summary>Kestrel's cap on concurrent connections; null for none.</summary>
    public int? MaxConnections { get; }

    /// <summary>The cap on notification sockets; null for none.</summary>
    public int? MaxSockets { get; }

    /// <summary>The soft "Max open files" of this process from <c>/proc/self/limits</c>; null elsewhere or when unlimited.</summary>
    public static long? ReadOpenFileLimit()
    {
        const string path = "/proc/self/limits";
        if (!OperatingSystem.IsLinux() || !File.Exists(path))
        {
            return null;
        }

        foreach (var line in File.ReadLines(path))
        {
            // "Max open files            20000                20000                files"
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : null;
            }
        }

        return null;
    }
}
