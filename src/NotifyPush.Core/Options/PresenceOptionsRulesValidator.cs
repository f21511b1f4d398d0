using Microsoft.Extensions.Options;

namespace NotifyPush.Core.Options;

/// <summary>Rules across settings of <see cref="PresenceOptions"/>, named by their full keys.</summary>
public sealed class PresenceOptionsRulesValidator : IValidateOptions<PresenceOptions>
{
    public ValidateOptionsResult Validate(string? name, PresenceOptions options) =>
        options.TimeoutSeconds > options.HeartbeatSeconds
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{PresenceOptions.SectionName}:TimeoutSeconds ({options.TimeoutSeconds}) must exceed {PresenceOptions.SectionName}:HeartbeatSeconds ({options.HeartbeatSeconds}), or a live replica's users would stop counting between two heartbeats.");
}
