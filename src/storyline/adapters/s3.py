"""Raw page archive on S3 (boto3): gzip objects under content-addressed keys; same port as the local store."""

from __future__ import annotations

import gzip
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from storyline.adapters.blobstore import pack
from storyline.domain.errors import PermanentError, TransientError

_MISSING = {"NoSuchKey", "404", "NotFound"}


class S3BlobStore:
    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str = "us-east-1",
        create_bucket: bool = False,
    ) -> None:
        self.bucket = bucket
        self._client_args: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "aws_access_key_id": access_key,
            "aws_secret_access_key": secret_key,
            "region_name": region,
        }
        self.client: Any = self._new_client()
        if create_bucket:
            self.ensure_bucket()

    def _new_client(self) -> Any:
        return boto3.client(
            "s3",
            **self._client_args,
            config=Config(
                s3={"addressing_style": "path"},  # self-hosted servers rarely have wildcard DNS
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
                # Checksums only where S3 requires them: not every S3-compatible server speaks the new CRCs.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def after_fork(self) -> None:
        """In a forked child: a client of its own (the parent's connection pool stays the parent's)."""
        self.client = self._new_client()

    def ensure_bucket(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            try:
                self.client.create_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise TransientError(f"cannot create bucket {self.bucket}: {exc}") from exc
        except (BotoCoreError, EndpointConnectionError) as exc:
            raise TransientError(f"object store unreachable: {exc}") from exc

    def put(self, key: str, data: bytes) -> None:
        if self.exists(key):
            return  # content-addressed: same key, same bytes
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=pack(data),
                ContentType="text/html",
                ContentEncoding="gzip",
            )
        except (ClientError, BotoCoreError) as exc:
            raise TransientError(f"cannot write {key} to s3://{self.bucket}: {exc}") from exc

    def get(self, key: str) -> bytes:
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=key)
            raw: bytes = obj["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise PermanentError(f"object {key} is not in s3://{self.bucket}", kind="missing_object") from exc
            raise TransientError(f"cannot read {key} from s3://{self.bucket}: {exc}") from exc
        except BotoCoreError as exc:
            raise TransientError(f"object store unreachable reading {key}: {exc}") from exc
        return gzip.decompress(raw)

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise TransientError(f"cannot check {key} in s3://{self.bucket}: {exc}") from exc
        except BotoCoreError as exc:
            raise TransientError(f"object store unreachable checking {key}: {exc}") from exc
        return True

    def delete(self, key: str) -> None:
        """Retention: S3 deletes are idempotent (a missing key answers 204 too)."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise TransientError(f"cannot delete {key} from s3://{self.bucket}: {exc}") from exc
