namespace EvidenceVault.Custody.Tests.Cli;

/// <summary>custody's command line as an operator meets it: help for every verb, and options no verb reads refused.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-cli");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>Every verb the README documents (docs are the contract).</summary>
    public static TheoryData<string> Verbs() =>
    [
        "verify", "log", "proof", "clips", "interruptions", "case register", "case action", "case link", "case unlink", "case explain",
        "case review-speech", "case end", "case archive", "case approve-action", "policy show", "policy set", "declare-return",
        "workrecord file", "workrecord review", "deadlines", "stats", "calendar import", "calendar show", "retention", "retention record",
        "role grant", "account issue", "account revoke", "export", "export request", "export approve", "verify-export", "key",
        "rebuild-catalog", "database migrate",
    ];

    [Theory]
    [MemberData(nameof(Verbs))]
    public void Help_OfEveryVerb_ExitsZeroAndNamesTheVerbsOptions(string verb)
    {
        // `custody export --help` once said "Unknown option --help" and exited 2; `custody case --help` that --data was required.
        var result = Tools.Dotnet("custody", [.. verb.Split(' '), "--help"]);

        result.ExitCode.Should().Be(0, result.Error);
        result.Output.Should().Contain($"custody {verb}").And.Contain("Options:");
        result.Error.Should().BeEmpty();
        if (verb != "verify-export" && verb != "database migrate")
        {
            result.Output.Should().Contain("--data <DATA>");
        }
    }

    [Theory]
    [InlineData("case")]
    [InlineData("export")]
    [InlineData("workrecord")]
    public void Help_OfAVerbGroup_ListsItsVerbs(string group)
    {
        var result = Tools.Dotnet("custody", [group, "--help"]);

        result.ExitCode.Should().Be(0, result.Error);
        result.Output.Should().Contain("Commands:");
    }

    [Fact]
    public void OptionOfAnotherVerb_IsRefusedWithExitTwoNamingIt()
    {
        // `policy show --officer x` was accepted: every policy verb shared one list of options.
        var result = Tools.Dotnet("custody", ["policy", "show", "--data", _work, "--officer", "x"]);

        result.ExitCode.Should().Be(2);
        result.Error.Should().StartWith("custody: Unknown option --officer.");
        result.Error.Should().NotContain("'x'", "the value of the unknown option is not a second error");
    }

    [Fact]
    public void WholeNumberOption_GivenText_IsAUsageError()
    {
        var result = Tools.Dotnet("custody", ["proof", "--data", _work, "--index", "three"]);

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("--index");
    }

    [Fact]
    public void ArgumentStartingWithAt_IsTakenAsTypedNotAsAResponseFile()
    {
        var file = Path.Combine(_work, "args.rsp");
        File.WriteAllText(file, "--help");

        var result = Tools.Dotnet("custody", ["verify-export", "@" + file]);

        result.ExitCode.Should().Be(2, "the package '@…' does not exist; a response file would have printed help");
        result.Error.Should().Contain("@" + file);
    }

    [Fact]
    public void Completion_OfAVerbsOptions_OffersWhatThatVerbTakes()
    {
        // What dotnet-suggest asks when a shell completes `custody export --`.
        var partial = Tools.Dotnet("custody", ["[suggest:17]", "export --since-ch"]);
        var all = Tools.Dotnet("custody", ["[suggest:9]", "export --"]);

        partial.ExitCode.Should().Be(0, partial.Error);
        partial.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Should().Equal("--since-checkpoint");
        all.Output.Split('\n', StringSplitOptions.TrimEntries).Should().Contain(["--case", "--out", "--tsa", "--json"]).And.NotContain("--objects", "verify's option, not export's");
    }
}
