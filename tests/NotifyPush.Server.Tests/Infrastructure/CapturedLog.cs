using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>
/// A <see cref="FakeLogRecord"/> in the shape the old capturing provider gave, for <see cref="CapturingLoggerProvider"/>
/// only; new tests read <see cref="FakeLogRecord"/> directly.
/// </summary>
public sealed record CapturedLog(
    string Category,
    LogLevel Level,
    EventId EventId,
    string Message,
    IReadOnlyList<KeyValuePair<string, string?>> StateValues,
    IReadOnlyList<string> Scopes,
    string? Exception,
    FakeLogRecord Record)
{
    public static CapturedLog From(FakeLogRecord record) =>
        new(
            record.Category ?? "",
            record.Level,
            record.Id,
            record.Message,
            record.State as IReadOnlyList<KeyValuePair<string, string?>> ?? [],
            record.ScopeTexts(),
            record.Exception?.ToString(),
            record);

    /// <summary>Every piece of text the event carries (<see cref="FakeLogRecordText.AllText"/>).</summary>
    public IEnumerable<string> AllText() => Record.AllText();
}
