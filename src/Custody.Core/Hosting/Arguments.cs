namespace EvidenceVault.Custody.Hosting;

/// <summary>
/// Command-line words for the operator tools: positionals, <c>--name value</c> options and
/// <c>--flag</c> switches, each name declared up front so a typo is an error, never ignored.
/// </summary>
public sealed class Arguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _switches = new(StringComparer.Ordinal);

    private Arguments(List<string> positionals) => Positionals = positionals;

    public IReadOnlyList<string> Positionals { get; }

    /// <param name="valued">Options that take a value (repeatable).</param>
    /// <param name="switches">Options that take none.</param>
    public static Arguments Parse(IEnumerable<string> args, IEnumerable<string> valued, IEnumerable<string> switches)
    {
        var valuedSet = valued.ToHashSet(StringComparer.Ordinal);
        var switchSet = switches.ToHashSet(StringComparer.Ordinal);
        var parsed = new Arguments([]);
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var word = list[i];
            if (!word.StartsWith("--", StringComparison.Ordinal))
            {
                ((List<string>)parsed.Positionals).Add(word);
                continue;
            }

            var name = word[2..];
            string? inline = null;
            if (name.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
            {
                inline = name[(eq + 1)..];
                name = name[..eq];
            }

            if (switchSet.Contains(name) && inline is null)
            {
                parsed._switches.Add(name);
            }
            else if (valuedSet.Contains(name))
            {
                var value = inline ?? (i + 1 < list.Count ? list[++i] : throw new UsageException($"--{name} needs a value."));
                if (!parsed._options.TryGetValue(name, out var values))
                {
                    parsed._options[name] = values = [];
                }

                values.Add(value);
            }
            else
            {
                throw new UsageException($"Unknown option --{name}.");
            }
        }

        return parsed;
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
