"""The emulator's view of its bucket on the S3 server: JCDS files, hashes, signed URLs."""

from __future__ import annotations

import datetime
import hashlib
import threading
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

import attrs
import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

REGION = "us-east-1"
_CHUNK = 1024 * 1024
_DOWNLOAD_URL_SECONDS = 3600
# Files stored by the emulator itself: one part in memory at a time.
_PART_SIZE = 8 * 1024 * 1024
_MAX_PARTS = 10_000


@attrs.frozen
class StoredObject:
    """One completed object in the bucket."""

    key: str
    size: int
    etag: str
    last_modified: datetime.datetime

    @property
    def file_name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


@attrs.frozen
class JcdsFile:
    """A JCDS file: the newest object carrying a file name, with its digests."""

    file_name: str
    key: str
    length: int
    md5: str
    sha3: str


class S3Bucket:
    """The emulator's own bucket on the S3 server, reached through boto3 like any client."""

    def __init__(
        self,
        endpoint_url: str,
        name: str,
        upload_order: Callable[[str], int] | None = None,
        access_key: str = "jcds2-emulator",
    ) -> None:
        self.endpoint_url = endpoint_url
        self.name = name
        # The S3 server's timestamps can tie (whole seconds); ``upload_order`` breaks the tie
        # (a greater number for a later write of that key).
        self._upload_order = upload_order or (lambda _key: 0)
        self._client: S3Client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=REGION,
            # The S3 server tells the emulator's own requests by this key.
            aws_access_key_id=access_key,
            aws_secret_access_key="jcds2-emulator",  # noqa: S106 - the S3 server accepts any
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )
        self._digests: dict[tuple[str, str], tuple[str, str]] = {}
        self._digest_lock = threading.Lock()

    def create(self) -> None:
        self._client.create_bucket(Bucket=self.name)

    def objects(self, prefix: str = "") -> list[StoredObject]:
        """Every completed object (multipart uploads in progress are not objects yet)."""
        found: list[StoredObject] = []
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.name, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.endswith("/"):
                    continue
                found.append(StoredObject(key, item["Size"], item["ETag"], item["LastModified"]))
        return found

    def newest_by_name(self) -> dict[str, StoredObject]:
        newest: dict[str, StoredObject] = {}
        for obj in sorted(self.objects(), key=self._age_key):
            newest[obj.file_name] = obj
        return newest

    def find(self, file_name: str) -> StoredObject | None:
        return self.newest_by_name().get(file_name)

    def files(self) -> list[JcdsFile]:
        """All JCDS files by name, digests computed (or cached) per object version."""
        result: list[JcdsFile] = []
        for name, obj in sorted(self.newest_by_name().items()):
            md5, sha3 = self.digests(obj)
            result.append(JcdsFile(name, obj.key, obj.size, md5, sha3))
        return result

    def digests(self, obj: StoredObject) -> tuple[str, str]:
        """MD5 and SHA3-512 hex of an object, streamed from the server in 1 MiB chunks."""
        cache_key = (obj.key, obj.etag)
        with self._digest_lock:
            cached = self._digests.get(cache_key)
        if cached is not None:
            return cached
        md5 = hashlib.md5(usedforsecurity=False)
        sha3 = hashlib.sha3_512()
        body = self._client.get_object(Bucket=self.name, Key=obj.key)["Body"]
        try:
            for chunk in iter(lambda: body.read(_CHUNK), b""):
                md5.update(chunk)
                sha3.update(chunk)
        finally:
            body.close()
        digests = (md5.hexdigest(), sha3.hexdigest())
        with self._digest_lock:
            self._digests[cache_key] = digests
        return digests

    def put_file(self, key: str, fileobj: IO[bytes], size: int, md5: str, sha3: str) -> None:
        """Store ``size`` bytes read from ``fileobj`` at ``key``, one part in memory at a time.

        ``md5`` and ``sha3`` are the digests of those bytes, as the caller computed them
        while receiving them; the listing uses them instead of reading the object again.
        """
        if size < _PART_SIZE:
            self._client.put_object(Bucket=self.name, Key=key, Body=fileobj.read(size))
        else:
            self._put_multipart(key, fileobj, size)
        etag = self._client.head_object(Bucket=self.name, Key=key)["ETag"]
        with self._digest_lock:
            self._digests[(key, etag)] = (md5, sha3)

    def _put_multipart(self, key: str, fileobj: IO[bytes], size: int) -> None:
        part_size = max(_PART_SIZE, -(-size // _MAX_PARTS))
        # A checksum algorithm makes moto's completion several times faster (jamf-api.md).
        upload_id = self._client.create_multipart_upload(
            Bucket=self.name, Key=key, ChecksumAlgorithm="CRC32"
        )["UploadId"]
        try:
            parts: list[CompletedPartTypeDef] = []
            for number in range(1, -(-size // part_size) + 1):
                answer = self._client.upload_part(
                    Bucket=self.name,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=fileobj.read(part_size),
                    ChecksumAlgorithm="CRC32",
                )
                parts.append(
                    {
                        "PartNumber": number,
                        "ETag": answer["ETag"],
                        "ChecksumCRC32": answer["ChecksumCRC32"],
                    }
                )
            self._client.complete_multipart_upload(
                Bucket=self.name, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            self._client.abort_multipart_upload(Bucket=self.name, Key=key, UploadId=upload_id)
            raise

    def delete_keys(self, keys: list[str]) -> None:
        for key in keys:
            self._client.delete_object(Bucket=self.name, Key=key)

    def delete_file(self, file_name: str) -> int:
        """Delete every object carrying ``file_name``; returns how many there were."""
        keys = [obj.key for obj in self.objects() if obj.file_name == file_name]
        for key in keys:
            self._client.delete_object(Bucket=self.name, Key=key)
        return len(keys)

    def download_url(self, key: str) -> str:
        return self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.name, "Key": key},
            ExpiresIn=_DOWNLOAD_URL_SECONDS,
        )

    def multipart_uploads(self) -> list[tuple[str, str]]:
        uploads: list[tuple[str, str]] = []
        paginator = self._client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.name):
            uploads.extend((item["Key"], item["UploadId"]) for item in page.get("Uploads", []))
        return uploads

    def clear(self) -> None:
        """Abort every multipart upload and delete every object."""
        for key, upload_id in self.multipart_uploads():
            self._client.abort_multipart_upload(Bucket=self.name, Key=key, UploadId=upload_id)
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.name):
            for item in page.get("Contents", []):
                self._client.delete_object(Bucket=self.name, Key=item["Key"])
        with self._digest_lock:
            self._digests.clear()

    def _age_key(self, obj: StoredObject) -> tuple[datetime.datetime, int, str]:
        return (obj.last_modified, self._upload_order(obj.key), obj.key)
