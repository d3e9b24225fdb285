"""Uploaded files (ASVS V12.1, V12.2): the import upload and fault photos refuse the wrong
type, oversize files and compression bombs, with a Polish message, and write nothing."""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib

import pytest

from .conftest import changed_tables, png_bytes, snapshot

ZW = "zielone-wzgorza"
# What a refused import may write: its own record of the attempt and the audit row.
IMPORT_BOOKKEEPING = {"import_run", "audit_event"}


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG file claiming ``width`` x ``height`` pixels (a decompression bomb's
    header: the pixels would be zeros compressing ~1000:1)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = zlib.compress(b"\x00" * (1 + width // 8) * 64, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height,
                                                              1, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def zip_bomb() -> bytes:
    """A small zip holding 200 MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive, \
            archive.open("dane.json", "w", force_zip64=True) as member:
        block = b"0" * (1 << 20)
        for _ in range(200):
            member.write(block)
    return out.getvalue()


def gzip_bomb() -> bytes:
    return gzip.compress(b"[" + b" " * (100 << 20) + b"]", compresslevel=9)


def gif_bytes() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="GIF")
    return out.getvalue()


BAD_PHOTOS = {
    "GIF": (gif_bytes(), "zdjecie.gif", "nie jest zdjęciem"),
    "text named .jpg": (b"to nie jest obraz", "zdjecie.jpg", "nie jest zdjęciem"),
    "SVG with a script": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)'
                          b"</script></svg>", "zdjecie.svg", "nie jest zdjęciem"),
    "HTML disguised as PNG": (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script>",
                              "zdjecie.png", "uszkodzony"),
    "PNG header, JPEG name": (png_bytes()[:40], "zdjecie.jpg", "uszkodzony"),
    "JPEG signature, PNG inside": (b"\xff\xd8\xff" + png_bytes(), "zdjecie.jpg",
                                   "uszkodzony"),
    "zip bomb": (None, "zdjecie.zip", "nie jest zdjęciem"),
    "decompression bomb 100 Mpx": (png_header_only(10_000, 10_000), "bomba.png",
                                   "zbyt dużą rozdzielczość"),
    "decompression bomb 2.5 Gpx": (png_header_only(50_000, 50_000), "bomba.png",
                                   "zbyt dużą rozdzielczość"),
    "over 5 MB": (b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), "duze.jpg", "za duże"),
}


@pytest.mark.parametrize("name", sorted(BAD_PHOTOS))
def test_fault_photos_of_the_wrong_kind_are_refused(name, world):
    client, resident = world.resident_a(ZW)
    data, filename, message = BAD_PHOTOS[name]
    if data is None:
        data = zip_bomb()
    before = snapshot()
    response = client.post("/konto/usterki/nowe", data={
        "unit_id": resident.unit_id, "category": "plumbing", "place": "flat",
        "description": "Cieknie kran w łazience.",
        "photo": (io.BytesIO(data), filename)}, content_type="multipart/form-data")
    assert response.status_code == 422, name
    assert message in response.get_data(as_text=True), name
    assert changed_tables(before, snapshot()) == [], name


def test_a_good_photo_is_accepted_and_re_encoded(world):
    client, resident = world.resident_a(ZW)
    response = client.post("/konto/usterki/nowe", data={
        "unit_id": resident.unit_id, "category": "plumbing", "place": "flat",
        "description": "Cieknie kran w łazience.",
        "photo": (io.BytesIO(png_bytes()), "zdjecie.png")}, content_type="multipart/form-data")
    assert response.status_code == 302


def test_a_request_over_the_size_limit_gets_a_polish_413(world):
    client, resident = world.resident_a(ZW)
    before = snapshot()
    response = client.post("/konto/usterki/nowe", data={
        "unit_id": resident.unit_id, "category": "plumbing", "place": "flat",
        "description": "Cieknie kran w łazience.",
        "photo": (io.BytesIO(b"\xff\xd8\xff" + b"\x00" * (17 * 1024 * 1024)), "a.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Przesłany plik jest za duży" in response.get_data(as_text=True)
    assert changed_tables(before, snapshot()) == []


BAD_IMPORTS = {
    "PNG as JSON": ("json", png_bytes(), "a.json"),
    "PNG as CSV": ("units", png_bytes(), "a.csv"),
    "zip bomb as JSON": ("json", None, "dane.zip"),
    "gzip bomb as JSON": ("json", gzip_bomb(), "dane.json.gz"),
    "gzip bomb as CSV": ("ledger", gzip_bomb(), "dane.csv.gz"),
    "UTF-16 CSV": ("associations", "external_id,name\nA,B\n".encode("utf-16"), "a.csv"),
    "NUL bytes": ("json", b'{"dataset": "units", "rows": [\x00]}', "a.json"),
    "deeply nested JSON": ("json", b"[" * 100_000 + b"]" * 100_000, "a.json"),
}


@pytest.mark.parametrize("name", sorted(BAD_IMPORTS))
def test_import_uploads_of_the_wrong_kind_write_nothing(name, world):
    office = world.staff(ZW)
    file_format, data, filename = BAD_IMPORTS[name]
    if data is None:
        data = zip_bomb()
    before = snapshot()
    response = office.post("/staff/import/", data={
        "file_format": file_format, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data")
    assert response.status_code == 422, name
    assert "Nic nie zapisano" in response.get_data(as_text=True) or \
        "odrzucony" in response.get_data(as_text=True).lower(), name
    assert set(changed_tables(before, snapshot())) <= IMPORT_BOOKKEEPING, name


def test_an_import_upload_over_the_size_limit_gets_413(world):
    office = world.staff(ZW)
    before = snapshot()
    response = office.post("/staff/import/", data={
        "file_format": "json", "file": (io.BytesIO(b" " * (17 * 1024 * 1024)), "a.json")},
        content_type="multipart/form-data")
    assert response.status_code == 413
    assert changed_tables(before, snapshot()) == []


def test_the_api_does_not_inflate_compressed_bodies(world):
    client, headers = world.api(ZW)
    before = snapshot()
    response = client.post("/api/v1/imports/units", data=gzip_bomb(),
                           headers={**headers, "Content-Encoding": "gzip",
                                    "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["format_error"] is True
    assert set(changed_tables(before, snapshot())) <= IMPORT_BOOKKEEPING
