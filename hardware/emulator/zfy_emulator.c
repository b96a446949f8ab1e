/*
 * Emulated body camera behind the vendor dock SDK function set ("公安部" ZFY functions) that
 * docks call: Init_Device, GetZFYInfo, SyncDevTime, SetMSDC, plus GetDevTime, the clock read that
 * DeviceAgent uses (when a vendor library exports it) to measure the camera's clock offset before
 * syncing. The camera is a folder written by make-camera.sh, named by ZFY_EMULATOR_ROOT:
 *   identity.ini   serial=, userNo=, userName=, unitNo=, unitName= (UTF-8; returned GBK-encoded)
 *   password       the SDK password
 *   clock_offset   camera clock minus real time, seconds (SyncDevTime sets it to 0)
 *   fail           optional, one word: connect | password | timesync | msdc | clock
 * iRet codes: 1 connected, 2 connect failed, 3 password ok, 4 password failed, 5 time synced,
 * 6 time sync failed, 7 mass storage on, 8 mass storage failed; extension: 9 time read, 10 failed.
 */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#pragma pack(push, 1)
typedef struct {
    char cSerial[8];
    char userNo[7];
    char userName[33];
    char unitNo[13];
    char unitName[33];
} ZFY_INFO;
#pragma pack(pop)

static int connected = 0;

static const char *root(void) {
    const char *r = getenv("ZFY_EMULATOR_ROOT");
    return r ? r : ".";
}

static int read_file(const char *name, char *buf, size_t size) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root(), name);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = 0;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
    return (int)n;
}

static int write_file(const char *name, const char *text) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root(), name);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    fputs(text, f);
    fclose(f);
    return 0;
}

static int failing(const char *what) {
    char buf[64];
    return read_file("fail", buf, sizeof buf) >= 0 && strcmp(buf, what) == 0;
}

static int password_ok(const char *pwd) {
    char expected[128];
    if (failing("password") || read_file("password", expected, sizeof expected) < 0) return 0;
    return pwd && strcmp(pwd, expected) == 0;
}

/* Copies key's value from identity.ini into out (size bytes, NUL-terminated), converted to GBK. */
static void identity_field(const char *ini, const char *key, char *out, size_t size) {
    memset(out, 0, size);
    size_t klen = strlen(key);
    const char *line = ini;
    while (line && *line) {
        if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
            const char *value = line + klen + 1;
            size_t vlen = strcspn(value, "\r\n");
            iconv_t cd = iconv_open("GBK", "UTF-8");
            if (cd == (iconv_t)-1) { strncpy(out, value, vlen < size - 1 ? vlen : size - 1); return; }
            char *in = (char *)value, *o = out;
            size_t inleft = vlen, outleft = size - 1;
            iconv(cd, &in, &inleft, &o, &outleft);
            iconv_close(cd);
            return;
        }
        line = strchr(line, '\n');
        if (line) line++;
    }
}

void Init_Device(char *IDCode, int *iRet) {
    (void)IDCode;
    char buf[16];
    connected = !failing("connect") && read_file("identity.ini", buf, sizeof buf) >= 0;
    *iRet = connected ? 1 : 2;
}

void GetZFYInfo(ZFY_INFO *info, char *sPwd, int *iRet) {
    if (!connected || !password_ok(sPwd)) { *iRet = 4; return; }
    char ini[4096];
    if (read_file("identity.ini", ini, sizeof ini) < 0) { *iRet = 4; return; }
    identity_field(ini, "serial", info->cSerial, sizeof info->cSerial);
    identity_field(ini, "userNo", info->userNo, sizeof info->userNo);
    identity_field(ini, "userName", info->userName, sizeof info->userName);
    identity_field(ini, "unitNo", info->unitNo, sizeof info->unitNo);
    identity_field(ini, "unitName", info->unitName, sizeof info->unitName);
    *iRet = 3;
}

/* Camera local time (Asia/Shanghai, UTC+8 all year) as "yyyy-MM-dd HH:mm:ss". */
void GetDevTime(char *sTime, char *sPwd, int *iRet) {
    char offset[64];
    if (!connected || !password_ok(sPwd) || failing("clock")) { *iRet = 10; return; }
    double seconds = read_file("clock_offset", offset, sizeof offset) >= 0 ? atof(offset) : 0;
    time_t t = time(NULL) + (time_t)seconds + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(sTime, 20, "%Y-%m-%d %H:%M:%S", &tm);
    *iRet = 9;
}

void SyncDevTime(char *sPwd, int *iRet) {
    if (!connected || !password_ok(sPwd) || failing("timesync")) { *iRet = 6; return; }
    *iRet = write_file("clock_offset", "0\n") == 0 ? 5 : 6;
}

void SetMSDC(char *sPwd, int *iRet) {
    if (!connected || !password_ok(sPwd) || failing("msdc")) { *iRet = 8; return; }
    *iRet = write_file("msdc", "on\n") == 0 ? 7 : 8;
}
