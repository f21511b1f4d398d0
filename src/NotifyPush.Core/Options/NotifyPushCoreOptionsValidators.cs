using Microsoft.Extensions.Options;

namespace NotifyPush.Core.Options;

// Source-generated validators: a bad setting stops the host at start-up with the setting's name.
[OptionsValidator]
public sealed partial class ConnectionOptionsValidator : IValidateOptions<ConnectionOptions>;

[OptionsValidator]
public sealed partial class DeliveryOptionsValidator : IValidateOptions<DeliveryOptions>;

[OptionsValidator]
public sealed partial class RetentionOptionsValidator : IValidateOptions<RetentionOptions>;

[OptionsValidator]
public sealed partial class StoreOptionsValidator : IValidateOptions<StoreOptions>;

[OptionsValidator]
public sealed partial class PresenceOptionsValidator : IValidateOptions<PresenceOptions>;
