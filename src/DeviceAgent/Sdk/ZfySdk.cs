using System.Runtime.InteropServices;
using System.Text;

namespace EvidenceVault.DeviceAgent.Sdk;

/// <summary>
/// The vendor dock SDK's "公安部" function set, loaded by P/Invoke from the library named in
/// configuration: Init_Device, GetZFYInfo, SyncDevTime, SetMSDC, and GetDevTime where the vendor
/// exports it (it is how the dock reads the camera's clock before syncing it). Strings are GBK.
/// One instance per library; calls are serialised because vendor libraries keep global state.
/// </summary>
public sealed class ZfySdk : IDisposable
{
    private readonly nint _library;
    private readonly InitDevice _init;
    private readonly GetZfyInfo _info;
    private readonly PasswordCall _syncTime;
    private readonly PasswordCall _massStorage;
    private readonly GetDevTime? _clock;
    private readonly Lock _gate = new();

    public ZfySdk(string libraryPath)
    {
        if (!NativeLibrary.TryLoad(libraryPath, out _library))
        {
            throw new SdkException($"Cannot load the dock SDK library {libraryPath}.");
        }

        _init = Export<InitDevice>("Init_Device");
        _info = Export<GetZfyInfo>("GetZFYInfo");
        _syncTime = Export<PasswordCall>("SyncDevTime");
        _massStorage = Export<PasswordCall>("SetMSDC");
        _clock = NativeLibrary.TryGetExport(_library, "GetDevTime", out var clock) ? Marshal.GetDelegateForFunctionPointer<GetDevTime>(clock) : null;
    }

    /// <summary>GBK (code page 936), which .NET provides once the code-pages provider is registered.</summary>
    public static Encoding Gbk { get; } = LoadGbk();

    private static Encoding LoadGbk()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(936);
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void InitDevice(byte[] idCode, out int result);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void GetZfyInfo(byte[] info, byte[] password, out int result);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void PasswordCall(byte[] password, out int result);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void GetDevTime(byte[] time, byte[] password, out int result);

    public void Connect(string idCode) => Call(() => { _init(Z(idCode), out var r); return r; }, SdkResult.Connected, "connect to the camera");

    public ZfyInfo ReadIdentity(string password)
    {
        var buffer = new byte[ZfyInfo.Size];
        Call(() => { _info(buffer, Z(password), out var r); return r; }, SdkResult.PasswordOk, "read the camera's identity");
        return ZfyInfo.Parse(buffer);
    }

    /// <summary>The camera's clock as a camera-local time string "yyyy-MM-dd HH:mm:ss", or null when the library cannot read it.</summary>
    public string? ReadClock(string password)
    {
        if (_clock is null)
        {
            return null;
        }

        var buffer = new byte[32];
        Call(() => { _clock(buffer, Z(password), out var r); return r; }, SdkResult.ClockRead, "read the camera's clock");
        return Encoding.ASCII.GetString(buffer, 0, Math.Max(0, Array.IndexOf(buffer, (byte)0)));
    }

    public void SyncClock(string password) => Call(() => { _syncTime(Z(password), out var r); return r; }, SdkResult.TimeSynced, "sync the camera's clock");

    public void SwitchToMassStorage(string password) => Call(() => { _massStorage(Z(password), out var r); return r; }, SdkResult.MassStorageOn, "switch the camera to mass storage");

    public void Dispose() => NativeLibrary.Free(_library);

    private void Call(Func<int> call, SdkResult expected, string what)
    {
        int result;
        lock (_gate)
        {
            result = call();
        }

        if (result != (int)expected)
        {
            throw new SdkException($"Could not {what}: the SDK answered {result} ({SdkResults.Describe(result)}).");
        }
    }

    private T Export<T>(string name) where T : Delegate =>
        NativeLibrary.TryGetExport(_library, name, out var address)
            ? Marshal.GetDelegateForFunctionPointer<T>(address)
            : throw new SdkException($"The dock SDK library does not export {name}.");

    private static byte[] Z(string text) => [.. Gbk.GetBytes(text), 0];
}

/// <summary>ZFY_INFO, pack(1): char cSerial[8]; char userNo[7]; char userName[33]; char unitNo[13]; char unitName[33]; GBK strings.</summary>
public sealed record ZfyInfo(string Serial, string UserNo, string UserName, string UnitNo, string UnitName)
{
    public const int Size = 8 + 7 + 33 + 13 + 33;

    public static ZfyInfo Parse(ReadOnlySpan<byte> raw) => new(
        Field(raw[..8]), Field(raw.Slice(8, 7)), Field(raw.Slice(15, 33)), Field(raw.Slice(48, 13)), Field(raw.Slice(61, 33)));

    private static string Field(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return ZfySdk.Gbk.GetString(end < 0 ? field : field[..end]).Trim();
    }
}

public enum SdkResult
{
    Connected = 1,
    ConnectFailed = 2,
    PasswordOk = 3,
    PasswordFailed = 4,
    TimeSynced = 5,
    TimeSyncFailed = 6,
    MassStorageOn = 7,
    MassStorageFailed = 8,
    ClockRead = 9,
    ClockReadFailed = 10,
}

internal static class SdkResults
{
    public static string Describe(int code) => code switch
    {
        1 => "connected",
        2 => "connect failed",
        3 => "password ok",
        4 => "password failed",
        5 => "time synced",
        6 => "time sync failed",
        7 => "mass storage on",
        8 => "mass storage failed",
        9 => "clock read",
        10 => "clock read failed",
        _ => "unknown code",
    };
}

public sealed class SdkException(string message) : Exception(message);
