using System.Text.RegularExpressions;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Topology;

/// <summary>
/// docker/.env.example deploys no secret: each password and key is empty there, and docker/compose.yaml reads each one
/// with <c>${NAME:?message}</c>, which stops <c>docker compose</c> while it is unset or empty. (Docker is not on the test
/// machines, so the compose file is read, not run: a <c>${NAME}</c> or <c>${NAME:-default}</c> would start with the
/// example's value, or none.)
/// </summary>
public sealed partial class ComposeSecretsTests
{
    /// <summary>The secrets of the deployment: passwords, the signing key and the service key's hash.</summary>
    private static readonly string[] Secrets = ["POSTGRES_PASSWORD", "REDIS_PASSWORD", "NOTIFYPUSH_SIGNING_KEY", "NOTIFYPUSH_API_KEY_SHA256", "GRAFANA_ADMIN_PASSWORD"];

    [Fact]
    public void EnvExample_DeclaresEverySecret_EmptyWithoutASampleValue()
    {
        var values = EnvExample();

        foreach (var secret in Secrets)
        {
            Assert.True(values.TryGetValue(secret, out var value), $"docker/.env.example does not declare {secret}");
            Assert.True(value.Length == 0, $"docker/.env.example gives {secret} the value '{value}': a value anyone who read the file knows");
        }

        // Any other variable that looks like a secret is held to the same rule.
        foreach (var (name, value) in values.Where(v => SecretName().IsMatch(v.Key)))
        {
            Assert.True(value.Length == 0, $"docker/.env.example gives {name} the value '{value}'");
        }
    }

    [Fact]
    public void Compose_ReadsEverySecretWithAGuardThatStopsItWhenUnsetOrEmpty()
    {
        var compose = File.ReadAllText(RepositoryFiles.PathOf("docker/compose.yaml"));
        var references = Reference().Matches(compose).ToList();
        var names = EnvExample().Keys.Where(k => SecretName().IsMatch(k)).Union(Secrets, StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);

        foreach (var reference in references.Where(r => names.Contains(r.Groups["name"].Value)))
        {
            Assert.True(
                reference.Groups["op"].Value == ":?" && reference.Groups["message"].Value.Trim().Length > 0,
                $"docker/compose.yaml reads {reference.Value}: only ${{{reference.Groups["name"].Value}:?message}} stops compose while it is unset or empty");
        }

        foreach (var secret in new[] { "POSTGRES_PASSWORD", "NOTIFYPUSH_SIGNING_KEY", "NOTIFYPUSH_API_KEY_SHA256", "GRAFANA_ADMIN_PASSWORD" })
        {
            Assert.Contains(references, r => r.Groups["name"].Value == secret);
        }

        // Every variable compose requires is declared in the example, so a copy of it names everything to fill in.
        var declared = EnvExample();
        foreach (var required in references.Where(r => r.Groups["op"].Value == ":?").Select(r => r.Groups["name"].Value).Distinct())
        {
            Assert.True(declared.ContainsKey(required), $"docker/compose.yaml requires {required}, which docker/.env.example does not declare");
        }
    }

    private static Dictionary<string, string> EnvExample()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(RepositoryFiles.PathOf("docker/.env.example")))
        {
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
            {
                continue;
            }

            var equals = text.IndexOf('=', StringComparison.Ordinal);
            Assert.True(equals > 0, $"docker/.env.example: '{line}' is not NAME=value");
            values[text[..equals]] = text[(equals + 1)..].Trim().Trim('"', '\'');
        }

        return values;
    }

    [GeneratedRegex(@"PASSWORD|SECRET|SIGNING_KEY|SHA256|TOKEN")]
    private static partial Regex SecretName();

    [GeneratedRegex(@"\$\{(?<name>[A-Z0-9_]+)(?:(?<op>:?[-?+=])(?<message>[^}]*))?\}")]
    private static partial Regex Reference();
}
