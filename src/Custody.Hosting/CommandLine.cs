using System.CommandLine;
using System.CommandLine.Parsing;
namespace EvidenceVault.Custody.Hosting;

/// <summary>
/// The verbs of a program as System.CommandLine commands: each verb declares exactly the options it
/// reads, so <c>VERB --help</c> prints them and exits 0, an option another verb takes is an error
/// (exit 2), and shells complete them. An option is written as a name with a mark: <c>data!</c> is
/// required, <c>party*</c> repeatable, <c>index#</c> a whole number, <c>?json</c> a switch.
/// </summary>
public static class CommandLine
{
    /// <summary>Adds the verb at <paramref name="path"/> (e.g. "case register") under <paramref name="root"/>.</summary>
    public static Command Verb(RootCommand root, string path, string description, string[] options, Func<Arguments, Task<int>> run, string? positional = null)
    {
        Command parent = root;
        var words = path.Split(' ');
        foreach (var word in words[..^1])
        {
            parent = parent.Subcommands.FirstOrDefault(c => c.Name == word) ?? Add(parent, new Command(word, $"{root.Name} {word} VERB: see each verb's --help."));
        }

        var command = parent.Subcommands.FirstOrDefault(c => c.Name == words[^1]) is { } existing && existing.Action is null
            ? existing
            : Add(parent, new Command(words[^1], description));
        command.Description = description;
        Declare(command, options, run, positional);
        return command;
    }

    /// <summary>Gives <paramref name="command"/> (a verb, or a program's root) its options and what it runs.</summary>
    public static void Declare(Command command, string[] options, Func<Arguments, Task<int>> run, string? positional = null)
    {
        var declared = new List<(string Name, Option Option, bool Switch)>();
        foreach (var spec in options)
        {
            var name = spec.TrimStart('?').TrimEnd('!', '*', '#');
            Option option = spec switch
            {
                _ when spec.StartsWith('?') => new Option<bool>("--" + name),
                _ when spec.EndsWith('#') => new Option<long>("--" + name) { HelpName = "N" },
                _ when spec.EndsWith('*') => new Option<string[]>("--" + name) { HelpName = name.ToUpperInvariant(), Arity = ArgumentArity.OneOrMore },
                _ => new Option<string>("--" + name) { HelpName = name.ToUpperInvariant() },
            };
            option.Description = spec.EndsWith('!') ? "(required)" : spec.EndsWith('*') ? "(repeatable)" : null;
            command.Options.Add(option);
            declared.Add((name, option, spec.StartsWith('?')));
        }

        Argument<string>? argument = positional is null ? null : new Argument<string>(positional);
        if (argument is not null)
        {
            command.Arguments.Add(argument);
        }

        command.SetAction((result, _) =>
        {
            var values = new List<KeyValuePair<string, string>>();
            var switches = new List<string>();
            foreach (var (name, option, isSwitch) in declared)
            {
                if (result.GetResult(option) is not { } found || found.Implicit)
                {
                    continue;
                }

                if (isSwitch)
                {
                    if (result.GetValue((Option<bool>)option))
                    {
                        switches.Add(name);
                    }

                    continue;
                }

                values.AddRange(found.Tokens.Select(t => KeyValuePair.Create(name, t.Value)));
            }

            var positionals = argument is not null && result.GetValue(argument) is { } word ? new[] { word } : [];
            return run(Arguments.Of(positionals, values, switches));
        });
    }

    /// <summary>
    /// Runs the verb <paramref name="args"/> name: exit 2 for a wrong command line (<see cref="Parse"/>),
    /// else the verb's own code. Exceptions reach the program's handlers: System.CommandLine's own
    /// would print a stack trace and exit 1.
    /// </summary>
    public static async Task<int> RunAsync(RootCommand root, string program, string[] args)
    {
        var parsed = Parse(root, program, args);
        return parsed is null ? 2 : await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
    }

    /// <summary>A program of verbs prints its help, exit 0, when given none or <c>help</c>.</summary>
    public static void HelpWhenBare(RootCommand root)
    {
        Verb(root, "help", "This help.", [], _ => Task.FromResult(root.Parse("--help").Invoke())).Hidden = true;
        root.SetAction(_ => root.Parse("--help").Invoke());
    }

    /// <summary>
    /// Parses <paramref name="args"/>; a wrong command line is one line per error on stderr and exit 2.
    /// Response files (<c>@file</c>) are not expanded: an argument is what was typed, nothing more.
    /// </summary>
    public static ParseResult? Parse(RootCommand root, string program, string[] args)
    {
        var result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Errors.Count == 0)
        {
            return result;
        }

        var unmatched = result.UnmatchedTokens.ToHashSet(StringComparer.Ordinal);
        // The value typed after an unknown option is not a second mistake: one line for the option.
        var valuesOfUnknown = args.Where((word, i) => i > 0 && args[i - 1].StartsWith("--", StringComparison.Ordinal) && unmatched.Contains(args[i - 1]) && !word.StartsWith('-')).ToHashSet(StringComparer.Ordinal);
        foreach (var error in result.Errors)
        {
            var token = unmatched.FirstOrDefault(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal));
            if (token is not null && valuesOfUnknown.Contains(token) && !token.StartsWith('-'))
            {
                continue;
            }

            Console.Error.WriteLine($"{program}: " + token switch
            {
                { } option when option.StartsWith("--", StringComparison.Ordinal) => $"Unknown option {option}.",
                { } word when result.CommandResult.Command == root => $"Unknown command '{word}'.",
                _ => error.Message,
            });
        }

        Console.Error.WriteLine(root.Subcommands.Count > 0 ? $"See '{program} --help', or '{program} VERB --help' for a verb's options." : $"See '{program} --help'.");
        return null;
    }

    private static Command Add(Command parent, Command child)
    {
        parent.Subcommands.Add(child);
        return child;
    }
}
