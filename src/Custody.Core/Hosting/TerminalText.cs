using System.Globalization;
using System.Text;

namespace EvidenceVault.Custody.Hosting;

/// <summary>
/// Text for a person's terminal from values a camera or a request chose (file names, reasons):
/// control characters (ESC, CR, LF, DEL, C1), line and paragraph separators and bidirectional
/// overrides are written <c>\uXXXX</c>, so a name cannot clear the screen, move the cursor, forge a
/// row or reverse what follows it. JSON output is never passed through this: it stays exact.
/// </summary>
public static class TerminalText
{
    public static string Printable(string text)
    {
        if (!text.Any(Escaped))
        {
            return text;
        }

        var printable = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (Escaped(c))
            {
                printable.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                printable.Append(c);
            }
        }

        return printable.ToString();
    }

    private static bool Escaped(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069') or '\u200e' or '\u200f' or '\u061c';
}
