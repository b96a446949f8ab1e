using System.Globalization;
using System.Net;
using System.Text;
using EvidenceVault.Custody.Verifier;
using SkiaSharp;

namespace EvidenceVault.Custody.Export;

/// <summary>
/// The explanation sheet (说明) that goes with recordings handed over as evidence (R9: 002 §15,
/// 000 §21, 001 §26), with the fields the Supreme People's Court's administrative-litigation evidence
/// rules (Art. 12: 制作方法、制作时间、制作人、证明对象) and the 2016 electronic-data rules
/// (法发〔2016〕22号 Art. 14: 案由、对象、内容、时间、地点、方法、电子数据清单) ask for. One content,
/// two renderings: HTML and PDF.
/// </summary>
internal static class ExplanationSheet
{
    /// <summary>Debian fonts-noto-cjk; face 2 of the collection is Simplified Chinese.</summary>
    public const string FontFile = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
    private const int SimplifiedChineseFace = 2;

    private enum Style { Title, Heading, Text, Mono }

    private sealed record Line(Style Style, string Text);

    public static byte[] Html(ExportManifest manifest)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
            .Append(WebUtility.HtmlEncode(manifest.Case.Number)).Append(" 视音频资料说明</title>\n")
            .Append("<style>body{font-family:'Noto Sans CJK SC',sans-serif;max-width:60em;margin:2em auto}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}.mono{font-family:monospace;word-break:break-all}</style>\n</head>\n<body>\n");
        foreach (var line in Content(manifest))
        {
            var text = WebUtility.HtmlEncode(line.Text);
            html.Append(line.Style switch
            {
                Style.Title => $"<h1>{text}</h1>\n",
                Style.Heading => $"<h2>{text}</h2>\n",
                Style.Mono => $"<p class=\"mono\">{text}</p>\n",
                _ => $"<p>{text}</p>\n",
            });
        }

        html.Append("</body>\n</html>\n");
        return Encoding.UTF8.GetBytes(html.ToString());
    }

    public static byte[] Pdf(ExportManifest manifest, DateTime exportedAtUtc)
    {
        if (!File.Exists(FontFile))
        {
            throw new VaultException($"The explanation sheet needs the CJK font {FontFile} (Debian package fonts-noto-cjk).");
        }

        using var typeface = SKTypeface.FromFile(FontFile, SimplifiedChineseFace)
            ?? throw new VaultException($"{FontFile} has no Simplified Chinese face.");
        const float width = 595, height = 842, margin = 56;
        using var output = new MemoryStream();
        var metadata = new SKDocumentPdfMetadata
        {
            Title = $"{manifest.Case.Number} 视音频资料说明",
            Author = manifest.Agency,
            Subject = $"export {manifest.ExportId}",
            Creator = "EvidenceVault",
            Producer = "EvidenceVault",
            Creation = exportedAtUtc,
            Modified = exportedAtUtc,
        };
        using (var document = SKDocument.CreatePdf(output, metadata))
        {
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            SKCanvas? canvas = null;
            var y = 0f;
            foreach (var line in Content(manifest))
            {
                using var font = new SKFont(typeface, line.Style switch { Style.Title => 16, Style.Heading => 12, Style.Mono => 7.5f, _ => 10 });
                var leading = font.Size * 1.5f;
                foreach (var piece in Wrap(line.Text, font, width - 2 * margin))
                {
                    if (canvas is null || y + leading > height - margin)
                    {
                        if (canvas is not null)
                        {
                            document.EndPage();
                        }

                        canvas = document.BeginPage(width, height);
                        y = margin;
                    }

                    y += leading;
                    DrawRun(canvas, font, paint, piece, margin, y);
                }

                y += line.Style is Style.Heading or Style.Title ? font.Size * 0.5f : 0;
            }

            document.EndPage();
            document.Close();
        }

        return output.ToArray();
    }

    /// <summary>
    /// One text run with its UTF-8 text and clusters: plain DrawText maps glyphs back to compatibility
    /// code points (日 → ⽇), which pdftotext and a court's search would then get wrong.
    /// </summary>
    private static void DrawRun(SKCanvas canvas, SKFont font, SKPaint paint, string text, float x, float y)
    {
        if (text.Length == 0)
        {
            return;
        }

        var glyphs = font.GetGlyphs(text);
        var utf8 = Encoding.UTF8.GetBytes(text);
        var clusters = new uint[glyphs.Length];
        var offset = 0;
        var index = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            clusters[index++] = (uint)offset;
            offset += rune.Utf8SequenceLength;
        }

        using var builder = new SKTextBlobBuilder();
        var run = builder.AllocateTextRun(font, glyphs.Length, x, y, utf8.Length, null);
        run.SetGlyphs(glyphs);
        run.SetText(utf8);
        run.SetClusters(clusters);
        using var blob = builder.Build();
        canvas.DrawText(blob, 0, 0, paint);
    }

    private static IEnumerable<string> Wrap(string text, SKFont font, float width)
    {
        var start = 0;
        var runes = text.EnumerateRunes().Select(r => r.ToString()).ToList();
        while (start < runes.Count)
        {
            var end = start;
            var line = new StringBuilder();
            while (end < runes.Count && font.MeasureText(line + runes[end]) <= width)
            {
                line.Append(runes[end++]);
            }

            end = Math.Max(end, start + 1);
            yield return string.Concat(runes.Skip(start).Take(end - start));
            start = end;
        }

        if (runes.Count == 0)
        {
            yield return string.Empty;
        }
    }

    private static IEnumerable<Line> Content(ExportManifest m)
    {
        string Or(string? text) => string.IsNullOrEmpty(text) ? "（无）" : text;
        yield return new Line(Style.Title, "执法记录仪视音频资料说明（电子数据提取及移交说明）");
        yield return new Line(Style.Text, $"导出编号：{m.ExportId}");
        yield return new Line(Style.Heading, "一、基本情况");
        yield return new Line(Style.Text, $"案件编号：{m.Case.Number}");
        yield return new Line(Style.Text, $"案由：{m.Case.Cause}");
        yield return new Line(Style.Text, $"当事人：{Or(string.Join("、", m.Case.Parties))}");
        yield return new Line(Style.Text, $"执法单位：{m.Agency}（政策配置 {m.PolicyProfile}）");
        yield return new Line(Style.Text, $"证明对象（提供用途）：{m.Reason}");
        var made = DateTimeOffset.Parse(m.ExportedAtLocal, CultureInfo.InvariantCulture);
        yield return new Line(Style.Text, $"制作时间：{made.ToString("yyyy年M月d日 HH:mm:ss", CultureInfo.InvariantCulture)}（北京时间；UTC {m.ExportedAt}）");
        yield return new Line(Style.Text, $"制作人：{m.RequestedBy}（申请，账本记录 #{m.RequestIndex}）；批准人：{m.ApprovedBy}（{m.ApproverRole}，账本记录 #{m.ApprovalIndex}）");
        yield return new Line(Style.Heading, "二、制作方法");
        yield return new Line(Style.Text, "原始视音频文件由执法记录仪在采集站对接时按原样整体拷贝，拷贝时同步计算 SHA-256 完整性校验值，以校验值为名存入证据存储，未经任何剪辑、删改或转码。本包内 originals 目录中的文件即为原始文件，文件名为其 SHA-256 校验值，执法记录仪上的原文件名见下表及 manifest.json。");
        yield return new Line(Style.Text, "每一次采集、查看、关联、审批和导出均作为一条记录写入只可追加的保管账本（RFC 9162 Merkle 树），并由本单位以 Ed25519 密钥签署检查点；本包附有每条相关记录及其包含性证明。");
        yield return new Line(Style.Heading, "三、执法活动（对象、内容、时间、地点）");
        if (m.Case.Actions.Count == 0)
        {
            yield return new Line(Style.Text, "（未登记执法活动）");
        }

        foreach (var a in m.Case.Actions)
        {
            yield return new Line(Style.Text, $"{a.Type}：执法人员 {string.Join("、", a.Officers)}；地点 {Or(a.Place)}；时间 {a.StartLocal} 至 {a.EndLocal}{(a.Emergency ? "（紧急情况先行实施）" : string.Empty)}");
        }

        yield return new Line(Style.Heading, "四、电子数据清单（类别、文件格式、完整性校验值）");
        var number = 0;
        foreach (var c in m.Clips)
        {
            number++;
            var format = c.Probe is { Result: "readable" } p
                ? $"{p.Container} / {p.VideoCodec}{(p.AudioCodec is null ? string.Empty : " + " + p.AudioCodec)}，{p.Width}x{p.Height}"
                : $"无法解析（{c.Probe?.Error ?? "未探测"}）";
            yield return new Line(Style.Text, $"{number}. 类别：执法记录仪视音频；原文件名：{string.Join("；", c.CameraFileNames)}；设备编号：{Or(c.DeviceSerial)}；执法人员：{Or(c.OfficerId)}{(c.OfficerName is null ? string.Empty : " " + c.OfficerName)}；单位：{Or(c.UnitName ?? c.UnitId)}");
            yield return new Line(Style.Text, $"   录制时间（北京时间，已按时钟偏差校正）：{Or(c.RecordedStartLocal)} 至 {Or(c.RecordedEndLocal)}；记录仪时钟原始读数：{Or(c.RecordedStartCamera)}；时钟偏差：{(c.ClockOffsetSeconds is { } o ? o.ToString("0.###", CultureInfo.InvariantCulture) + " 秒" : "未测")}；时长：{(c.DurationSeconds is { } d ? d.ToString("0.###", CultureInfo.InvariantCulture) + " 秒" : "未知")}");
            yield return new Line(Style.Text, $"   文件格式：{format}；大小：{c.Size.ToString(CultureInfo.InvariantCulture)} 字节；采集：{c.IngestedAt}（账本记录 #{c.IngestIndex}）");
            yield return new Line(Style.Mono, $"   SHA-256 完整性校验值：{c.Sha256}");
        }

        var gaps = m.Clips.SelectMany(c => c.Interruptions).DistinctBy(i => (i.PreviousClip, i.ResumedClip)).ToList();
        yield return new Line(Style.Heading, "五、录制中断及说明");
        if (gaps.Count == 0)
        {
            yield return new Line(Style.Text, "所列文件之间未发现录制中断。");
        }

        foreach (var g in gaps)
        {
            var written = g.WrittenExplanation is { } w ? $"书面说明（{w.Category}）：{w.Text}；签名：{string.Join("、", w.SignedBy)}" : "无书面说明";
            yield return new Line(Style.Text, $"中断 {g.Seconds.ToString("0.#", CultureInfo.InvariantCulture)} 秒（{g.GapStartUtc} 至 {g.GapEndUtc} UTC）；恢复录制时语音说明：{g.Spoken}{(g.SpeechHeardByReviewer is { } heard ? (heard ? "，经复核确认" : "，经复核未确认") : string.Empty)}；{written}；{(g.Explained ? "已说明" : "未说明")}");
        }

        yield return new Line(Style.Heading, "六、校验方法");
        yield return new Line(Style.Text, $"账本名称（签名密钥标识）：{m.Origin}");
        yield return new Line(Style.Mono, $"公钥：{m.VerifierKey}");
        yield return new Line(Style.Mono, $"公钥指纹（SHA-256）：{m.KeyFingerprint}");
        yield return new Line(Style.Text, "请通过其他途径向本单位核对上述公钥指纹。校验无需联网，也无需访问本单位系统：运行 custody verify-export <本包目录或 ZIP> [--key 公钥]，或按 docs/export-format.md 所述步骤自行校验：重新计算每个原始文件的 SHA-256；重新计算每条账本记录的叶哈希并按包含性证明核对签名检查点；核对检查点签名；沿每个案件及文件的前后链接核对记录完整；核对 manifest.json、本说明和 README.txt 的校验值与导出记录一致。");
        yield return new Line(Style.Text, "This sheet explains a certified export of body-camera recordings. Verify it offline with: custody verify-export PACKAGE [--key VERIFIER-KEY]; the format and steps are in docs/export-format.md.");
    }
}
