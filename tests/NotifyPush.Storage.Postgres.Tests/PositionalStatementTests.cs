using NotifyPush.Storage.Postgres;

namespace NotifyPush.Storage.Postgres.Tests;

public sealed class PositionalStatementTests
{
    [Fact]
    public void Sql_NumbersEachNameByItsPosition_EveryUseOfIt_AndLeavesCastsAlone()
    {
        var statement = new PositionalStatement("SELECT @B::text[], @A, coalesce(@B::text[], '{}') WHERE x = @A", "A", "B");

        Assert.Equal("SELECT $2::text[], $1, coalesce($2::text[], '{}') WHERE x = $1", statement.Sql);
        Assert.Equal(2, statement.ParameterCount);
    }

    [Fact]
    public void Constructor_WithANameTheListLacks_Throws() =>
        Assert.Throws<ArgumentException>(() => new PositionalStatement("SELECT @A, @C", "A"));

    [Fact]
    public void Constructor_WithANameTheStatementDoesNotUse_Throws() =>
        Assert.Throws<ArgumentException>(() => new PositionalStatement("SELECT @A", "A", "B"));

    [Theory]
    [InlineData(nameof(PostgresSql.Append), 10)]
    [InlineData(nameof(PostgresSql.AppendWithPush), 13)]
    [InlineData(nameof(PostgresSql.GroupAppend), 11)]
    public void HotStatements_KeepNoNamedParameter(string name, int parameters)
    {
        var sql = (string)typeof(PostgresSql).GetField(name)!.GetValue(null)!;
        var names = System.Text.RegularExpressions.Regex.Matches(sql, @"(?<![\w@])@([A-Za-z_]\w*)").Select(m => m.Groups[1].Value).Distinct().ToArray();

        var statement = new PositionalStatement(sql, names);

        Assert.Equal(parameters, names.Length);
        Assert.DoesNotContain("@", statement.Sql, StringComparison.Ordinal);
    }
}
