using System.Net;

namespace EvidenceVault.Worker.Tests.Export;

/// <summary>
/// A real RFC 3161 time-stamping authority for tests: `openssl ts -reply` with a self-signed TSA
/// certificate (extendedKeyUsage critical timeStamping), behind a small HTTP listener on 127.0.0.1.
/// </summary>
internal sealed class LocalTimestampAuthority : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _directory = Tools.TempDirectory("ev-tsa");
    private readonly Task _serving;

    public LocalTimestampAuthority()
    {
        // A root CA and a TSA certificate it issued, as a real TSA has; the token carries both.
        Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650",
            "-subj", "/CN=EvidenceVault Test TSA Root", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        Run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=EvidenceVault Test TSA");
        File.WriteAllText(Path.Combine(_directory, "tsa.ext"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n");
        Run("openssl", "x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tsa.crt", "-days", "3650", "-extfile", "tsa.ext");
        File.WriteAllText(Path.Combine(_directory, "serial"), "01\n");
        File.WriteAllText(Path.Combine(_directory, "tsa.cnf"), """
            [ tsa ]
            default_tsa = tsa_config1
            [ tsa_config1 ]
            dir = .
            serial = ./serial
            crypto_device = builtin
            signer_cert = ./tsa.crt
            signer_key = ./tsa.key
            certs = ./ca.crt
            signer_digest = sha256
            default_policy = 1.2.3.4.1
            digests = sha256
            accuracy = secs:1
            ordering = yes
            tsa_name = yes
            ess_cert_id_chain = no
            ess_cert_id_alg = sha256
            """);
        Url = $"http://127.0.0.1:{Tools.FreePort()}/tsa/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string Url { get; }

    /// <summary>SHA-256 of the TSA's root certificate (DER), hex: what a court would pin.</summary>
    public string CertificateSha256 => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
        System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(_directory, "ca.crt"))).RawData));

    public int Requests { get; private set; }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        Directory.Delete(_directory, recursive: true);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            Requests++;
            var query = Path.Combine(_directory, $"q{Requests}.tsq");
            var reply = Path.Combine(_directory, $"r{Requests}.tsr");
            await using (var file = File.Create(query))
            {
                await context.Request.InputStream.CopyToAsync(file);
            }

            Run("openssl", "ts", "-reply", "-config", "tsa.cnf", "-queryfile", query, "-out", reply);
            var bytes = await File.ReadAllBytesAsync(reply);
            context.Response.ContentType = "application/timestamp-reply";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private void Run(params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(args[0]) { WorkingDirectory = _directory, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args[1..])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', args)}: {error}");
        }
    }
}
