using Microsoft.Extensions.Logging;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>One log line as a provider received it.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyList<KeyValuePair<string, object?>> State);
