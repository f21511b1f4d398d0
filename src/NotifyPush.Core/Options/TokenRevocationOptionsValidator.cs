using Microsoft.Extensions.Options;

namespace NotifyPush.Core.Options;

// Source-generated from the attributes on TokenRevocationOptions; failures are named by SectionNamedValidator.
[OptionsValidator]
public sealed partial class TokenRevocationOptionsValidator : IValidateOptions<TokenRevocationOptions>;
