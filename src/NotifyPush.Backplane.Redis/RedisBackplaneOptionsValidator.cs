using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

/// <summary>
/// Checks, at start-up, what the Redis backplane needs beyond <see cref="RedisBackplaneOptions"/>' annotations:
/// a configuration string that StackExchange.Redis accepts and that names at least one endpoint.
/// </summary>
public sealed class RedisBackplaneOptionsValidator : IValidateOptions<RedisBackplaneOptions>
{
    /// <summary>The setting every message names, <c>NotifyPush:Backplane:Configuration</c>.</summary>
    public const string ConfigurationKey = RedisBackplaneOptions.SectionName + ":" + nameof(RedisBackplaneOptions.Configuration);

    public ValidateOptionsResult Validate(string? name, RedisBackplaneOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!TryParse(options.Configuration, out _, out var error))
        {
            return ValidateOptionsResult.Fail(error);
        }

        if (options.TlsCaCertificatePath is { Length: > 0 } path && !File.Exists(path))
        {
            return ValidateOptionsResult.Fail($"{TlsCaCertificateKey} names no readable file: {path}.");
        }

        return ValidateOptionsResult.Success;
    }

    /// <summary>The setting <c>NotifyPush:Backplane:TlsCaCertificatePath</c>.</summary>
    public const string TlsCaCertificateKey = RedisBackplaneOptions.SectionName + ":" + nameof(RedisBackplaneOptions.TlsCaCertificatePath);

    /// <summary>Parses the configuration string, or explains (without echoing it: it may hold a password) why not.</summary>
    internal static bool TryParse(string? configuration, out ConfigurationOptions parsed, out string error)
    {
        parsed = null!;
        if (string.IsNullOrWhiteSpace(configuration))
        {
            error = $"{ConfigurationKey} is required for the Redis backplane, e.g. \"127.0.0.1:6379\".";
            return false;
        }

        try
        {
            parsed = ConfigurationOptions.Parse(configuration);
        }
        catch (ArgumentException ex)
        {
            error = $"{ConfigurationKey} is not a valid StackExchange.Redis configuration string: {ex.Message}";
            return false;
        }

        if (parsed.EndPoints.Count == 0)
        {
            error = $"{ConfigurationKey} names no Redis endpoint, e.g. \"127.0.0.1:6379\".";
            return false;
        }

        error = string.Empty;
        return true;
    }
}
