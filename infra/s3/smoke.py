"""Smoke test of the local S3 server started by infra/s3/s3.sh, with boto3 (not a unit test; needs boto3).

usage: infra/s3/s3.sh start && python infra/s3/smoke.py [--when-required]
It uses its own throwaway bucket and deletes it again; exit status 0 means every call behaved like S3.
"""
import io
import os
import subprocess
import sys
import time

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
out = subprocess.run(["bash", os.path.join(HERE, "s3.sh"), "env"], check=True, capture_output=True, text=True).stdout
env = dict(line.split("=", 1) for line in out.split())

extra = {}
if "--when-required" in sys.argv:  # the botocore < 1.36 behaviour; MinIO does not need it
    extra = dict(request_checksum_calculation="when_required", response_checksum_validation="when_required")
s3 = boto3.client(
    "s3",
    endpoint_url=env["STORYLINE_S3_ENDPOINT"],
    aws_access_key_id=env["STORYLINE_S3_ACCESS_KEY"],
    aws_secret_access_key=env["STORYLINE_S3_SECRET_KEY"],
    region_name=env["STORYLINE_S3_REGION"],
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 2}, **extra),
)


def code(call, **kw):
    try:
        call(**kw)
        return "ok"
    except ClientError as e:
        return e.response["Error"]["Code"]


print("boto3", boto3.__version__, "botocore", botocore.__version__, extra or "default checksum settings")
assert env["STORYLINE_S3_BUCKET"] in [b["Name"] for b in s3.list_buckets()["Buckets"]]
b = "smoke-%d" % int(time.time() * 1000)
s3.create_bucket(Bucket=b)
s3.head_bucket(Bucket=b)
try:
    body = b'{"id": 1, "title": "hello"}\n' * 100
    r = s3.put_object(Bucket=b, Key="raw/a.json", Body=body, ContentType="application/json", Metadata={"source": "t"})
    g = s3.get_object(Bucket=b, Key="raw/a.json", ChecksumMode="ENABLED")
    assert g["Body"].read() == body and g["Metadata"] == {"source": "t"} and g["ETag"] == r["ETag"]
    assert s3.head_object(Bucket=b, Key="raw/a.json")["ContentLength"] == len(body)
    assert s3.get_object(Bucket=b, Key="raw/a.json", Range="bytes=0-9")["Body"].read() == body[:10]
    for i in range(3):
        s3.put_object(Bucket=b, Key=f"raw/x{i}.json", Body=b"x")
    p1 = s3.list_objects_v2(Bucket=b, Prefix="raw/", MaxKeys=2)
    p2 = s3.list_objects_v2(Bucket=b, Prefix="raw/", ContinuationToken=p1["NextContinuationToken"])
    assert [o["Key"] for o in p1["Contents"] + p2["Contents"]] == ["raw/a.json", "raw/x0.json", "raw/x1.json", "raw/x2.json"]
    assert s3.list_objects_v2(Bucket=b, Delimiter="/")["CommonPrefixes"] == [{"Prefix": "raw/"}]
    # conditional writes (S3 since 2024): If-None-Match: * and If-Match
    assert code(s3.put_object, Bucket=b, Key="raw/a.json", Body=b"2", IfNoneMatch="*") == "PreconditionFailed"
    new = s3.put_object(Bucket=b, Key="raw/new.json", Body=b"1", IfNoneMatch="*")
    assert code(s3.put_object, Bucket=b, Key="raw/new.json", Body=b"2", IfMatch='"0"') == "PreconditionFailed"
    assert code(s3.put_object, Bucket=b, Key="raw/new.json", Body=b"2", IfMatch=new["ETag"]) == "ok"
    # multipart, managed transfer, copy, delete
    mp = s3.create_multipart_upload(Bucket=b, Key="mp.bin")
    parts = [s3.upload_part(Bucket=b, Key="mp.bin", UploadId=mp["UploadId"], PartNumber=n, Body=data)["ETag"]
             for n, data in ((1, b"a" * 5 * 2**20), (2, b"b" * 10))]
    s3.complete_multipart_upload(Bucket=b, Key="mp.bin", UploadId=mp["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(parts, 1)]})
    assert s3.head_object(Bucket=b, Key="mp.bin")["ContentLength"] == 5 * 2**20 + 10
    s3.upload_fileobj(io.BytesIO(os.urandom(20 * 2**20)), b, "tf.bin")
    s3.copy_object(Bucket=b, Key="copy.json", CopySource={"Bucket": b, "Key": "raw/a.json"})
    s3.delete_object(Bucket=b, Key="copy.json")
    assert code(s3.head_object, Bucket=b, Key="copy.json") == "404"
    assert code(s3.get_object, Bucket=b, Key="missing") == "NoSuchKey"
finally:
    keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=b) for o in p.get("Contents", [])]
    if keys:
        s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k} for k in keys]})
    s3.delete_bucket(Bucket=b)
print("S3 smoke test: all calls OK")
