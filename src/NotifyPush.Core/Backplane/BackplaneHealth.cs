namespace NotifyPush.Core.Backplane;

/// <summary>A snapshot of the backplane's connection, for readiness reporting.</summary>
/// <param name="IsConnected">True when messages published now would be received.</param>
/// <param name="DisconnectedSince">When the connection was lost; null while connected.</param>
/// <param name="Description">Short human-readable state, e.g. the last error.</param>
/// <param name="CredentialsRefused">
/// True when the backplane's server refused its credentials (a wrong password or user): a configuration error that no
/// retry fixes, so the replica reports not ready until it is corrected.
/// </param>
public readonly record struct BackplaneHealth(bool IsConnected, DateTimeOffset? DisconnectedSince, string Description, bool CredentialsRefused = false);
