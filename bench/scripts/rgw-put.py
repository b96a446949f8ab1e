#!/usr/bin/env python3
"""Puts every file of a camera volume into the deployment's bucket, 4 at a time, as a bare S3 client.

For comparing what the gateway spends on one kind of PUT against another, without the dock or rclone
around it (docs/benchmarks.md). Reads the settings that `Custody.Bench deploy-env` writes:

    . /tmp/ev-bench-deploy-*/deployment-1.env
    python3 bench/scripts/rgw-put.py signed|unsigned PREFIX [head] [lock]

signed: SigV4 with the payload's SHA-256 (the dock's way: the gateway checks every byte);
unsigned: UNSIGNED-PAYLOAD (rclone's presigned PUTs); head: a HEAD before each PUT (the dock's
existing-key check); lock: COMPLIANCE retention headers (the dock's). The files are read and hashed
before the clock starts; prints the seconds the puts took.
"""
import datetime, glob, hashlib, hmac, http.client, os, sys, threading, time

endpoint = os.environ["EVIDENCEVAULT_S3_ENDPOINT"]
access, secret, bucket = os.environ["EVIDENCEVAULT_S3_ACCESS_KEY"], os.environ["EVIDENCEVAULT_S3_SECRET_KEY"], os.environ["EVIDENCEVAULT_S3_BUCKET"]
mode, prefix, options = sys.argv[1], sys.argv[2], set(sys.argv[3:])
host = endpoint.split("//")[1]


def signed_headers(method, path, headers, payload_hash):
    amz = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    day = amz[:8]
    headers = {k.lower(): v for k, v in headers.items()} | {"host": host, "x-amz-date": amz, "x-amz-content-sha256": payload_hash}
    names = ";".join(sorted(headers))
    canonical = f"{method}\n{path}\n\n" + "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)) + f"\n{names}\n{payload_hash}"
    scope = f"{day}/us-east-1/s3/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amz}\n{scope}\n" + hashlib.sha256(canonical.encode()).hexdigest()
    key = ("AWS4" + secret).encode()
    for part in (day, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={access}/{scope}, SignedHeaders={names}, Signature={signature}"
    return headers


files = sorted(glob.glob(os.path.join(os.environ["EV_CAMERA"], "DCIM", "100MEDIA", "*")))
data = {f: open(f, "rb").read() for f in files}
sha = {f: hashlib.sha256(data[f]).hexdigest() for f in files}
queue, lock = list(files), threading.Lock()


def worker():
    connection = http.client.HTTPConnection(host)
    while True:
        with lock:
            if not queue:
                return
            f = queue.pop(0)
        path = f"/{bucket}/{prefix}/{os.path.basename(f)}"
        if "head" in options:
            connection.request("HEAD", path, headers=signed_headers("HEAD", path, {}, hashlib.sha256(b"").hexdigest()))
            connection.getresponse().read()
        extra = {"content-type": "application/octet-stream"}
        if "lock" in options:
            until = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            extra |= {"x-amz-object-lock-mode": "COMPLIANCE", "x-amz-object-lock-retain-until-date": until}
        connection.request("PUT", path, body=data[f], headers=signed_headers("PUT", path, extra, sha[f] if mode == "signed" else "UNSIGNED-PAYLOAD"))
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"PUT {path}: {response.status}")


start = time.time()
threads = [threading.Thread(target=worker) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"{mode} {' '.join(sorted(options))}: {time.time() - start:.2f} s")
