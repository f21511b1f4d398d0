using Microsoft.Extensions.Options;

namespace NotifyPush.Server.Authentication;

// Source-generated validators for the attributes on the options classes. Rules that span
// several settings live in JwtOptionsRulesValidator and AuthOptionsRulesValidator.
[OptionsValidator]
public sealed partial class JwtOptionsValidator : IValidateOptions<JwtOptions>;

[OptionsValidator]
public sealed partial class AuthOptionsValidator : IValidateOptions<AuthOptions>;
