using Microsoft.Extensions.Options;

namespace NotifyPush.Storage.Postgres;

/// <summary>Source-generated validator of <see cref="PostgresStoreOptions"/>: a bad setting stops the host at start-up with its name.</summary>
[OptionsValidator]
public sealed partial class PostgresStoreOptionsValidator : IValidateOptions<PostgresStoreOptions>;
