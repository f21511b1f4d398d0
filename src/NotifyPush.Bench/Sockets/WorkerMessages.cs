using NotifyPush.Bench.Measurement;
using NotifyPush.Bench.Servers;

namespace NotifyPush.Bench.Sockets;

/// <summary>
/// What a worker process is told on its first line of standard input: which users it holds, and where. With
/// <see cref="Resume"/> a socket the server closes (or that breaks) reconnects with <c>since</c> after 500 ms, as the
/// browser client does; otherwise it stays closed and the close is counted as an error.
/// </summary>
internal sealed record WorkerConfig(
    int WorkerIndex,
    string UserPrefix,
    int FirstUser,
    int UserCount,
    IReadOnlyList<Uri> SocketEndpoints,
    string SigningKey,
    string Issuer,
    string Audience,
    int SourceAddresses,
    int ConnectConcurrency,
    int DeadlineSeconds,
    SocketProtocol Protocol = SocketProtocol.NotifyPush,
    bool Resume = false)
{
    /// <summary>The user id of a global user index; shared by workers and the sender.</summary>
    public static string UserId(string prefix, int index) => $"{prefix}-{index:D6}";
}

/// <summary>A command to a worker, one JSON object per line of standard input.</summary>
/// <param name="Command"><c>connect</c>, <c>drop</c>, <c>reset</c> (latency), <c>report</c>, <c>verify</c> or <c>stop</c>.</param>
/// <param name="Shift">connect: user i connects to endpoint (i + Shift) mod endpoints.</param>
/// <param name="Since">connect: resume each socket after the last seq it received.</param>
/// <param name="Expected">verify: the highest seq each of the worker's users was given, in user order.</param>
internal sealed record WorkerCommand(string Command, int Shift = 0, bool Since = false, long[]? Expected = null);

/// <summary>
/// A worker's counters, written every 200 ms as <c>@status {json}</c>. <see cref="NewestSentReceived"/> is the newest
/// send timestamp among the notifications received; <see cref="Resumes"/> counts reconnections with <c>since</c>.
/// </summary>
internal sealed record WorkerStatus(
    int WorkerIndex,
    bool ConnectDone,
    long Open,
    long ConnectFailures,
    long Synced,
    long PhaseSynced,
    long Received,
    long Duplicates,
    long Gaps,
    long Errors,
    long LastSyncedTimestamp,
    long LastReceivedTimestamp,
    long PhaseStartedTimestamp,
    long PhaseConnectedTimestamp,
    long NewestSentReceived = 0,
    long Resumes = 0);

/// <summary>The answer to <c>report</c>: counters, the latency histogram and errors by kind.</summary>
internal sealed record WorkerReport(WorkerStatus Status, HistogramSnapshot Latency, SortedDictionary<string, long> Errors);

/// <summary>The answer to <c>verify</c>: how many notifications the worker's sockets did not get, and duplicates.</summary>
internal sealed record VerifyResult(long Lost, long UsersBehind, long Duplicates, long Gaps);
