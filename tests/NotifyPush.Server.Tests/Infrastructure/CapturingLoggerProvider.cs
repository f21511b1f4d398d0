using Microsoft.Extensions.Logging.Testing;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>
/// Transitional adapter for the Authentication tests still written against the old capturing provider: a
/// <see cref="FakeLoggerProvider"/> whose records are also offered as <see cref="CapturedLog"/>. New tests use a
/// <see cref="FakeLogCollector"/> (or <see cref="FakeLoggerProvider"/>) with <see cref="FakeLogRecordText"/>;
/// delete this and <see cref="CapturedLog"/> once no test names them.
/// </summary>
public sealed class CapturingLoggerProvider : FakeLoggerProvider
{
    public IReadOnlyList<CapturedLog> Logs => [.. Collector.GetSnapshot().Select(CapturedLog.From)];

    /// <summary>Lets the old provider be passed where a helper now takes the collector.</summary>
    public static implicit operator FakeLogCollector(CapturingLoggerProvider provider) => provider.Collector;
}
