using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace NotifyPush.Server.Hosting;

/// <summary>
/// The start-up warm-up (<see cref="StartupWarmUp"/>): before <c>/readyz</c> says ready, the replica opens sockets to
/// itself over loopback, so the reconnect storm a deploy sends it meets compiled code and filled pools. Section
/// <c>NotifyPush:WarmUp</c>.
/// </summary>
public sealed class WarmUpOptions
{
    public const string SectionName = "NotifyPush:WarmUp";

    /// <summary>Sockets opened (each to welcome and synced, then closed) before the replica reports ready; 0 turns the warm-up off. Default 300.</summary>
    [Range(0, 10_000)]
    public int Sockets { get; set; } = 300;

    /// <summary>How many of them are open at once. Default 16.</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 16;

    /// <summary>The longest the warm-up may hold readiness back; past it the replica reports ready anyway. Default 20.</summary>
    [Range(1, 600)]
    public int TimeoutSeconds { get; set; } = 20;
}

[OptionsValidator]
public sealed partial class WarmUpOptionsValidator : IValidateOptions<WarmUpOptions>;
