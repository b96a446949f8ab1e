namespace EvidenceVault.Custody.Hosting;

/// <summary>
/// What a verb was given, as System.CommandLine matched it (<see cref="CommandLine"/>): positionals,
/// <c>--name value</c> options and <c>--flag</c> switches, read with the same messages every verb gives.
/// </summary>
public sealed class Arguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _switches = new(StringComparer.Ordinal);

    private Arguments(List<string> positionals) => Positionals = positionals;

    public IReadOnlyList<string> Positionals { get; }

    /// <summary>Words a command-line parser (System.CommandLine) has already matched to declared options.</summary>
    public static Arguments Of(IEnumerable<string> positionals, IEnumerable<KeyValuePair<string, string>> options, IEnumerable<string> switches)
    {
        var made = new Arguments([.. positionals]);
        foreach (var (name, value) in options)
        {
            if (!made._options.TryGetValue(name, out var values))
            {
                made._options[name] = values = [];
            }

            values.Add(value);
        }

        made._switches.UnionWith(switches);
        return made;
    }

    public bool Has(string name) => _switches.Contains(name);

    public string? Value(string name) => _options.TryGetValue(name, out var values) ? values[^1] : null;

    public IReadOnlyList<string> Values(string name) => _options.TryGetValue(name, out var values) ? values : [];

    public string Required(string name) => Value(name) ?? throw new UsageException($"--{name} is required.");

    public long? Long(string name)
    {
        var text = Value(name);
        if (text is null)
        {
            return null;
        }

        return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"--{name} takes a whole number, not '{text}'.");
    }
}

/// <summary>The command line itself is wrong: exit code 2 and a one-line message.</summary>
public sealed class UsageException(string message) : Exception(message);
