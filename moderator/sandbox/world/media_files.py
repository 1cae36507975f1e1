"""The smallest valid media files of each container the sandbox serves.

Compositions come as MP4 (ISO-BMFF: an `ftyp` box, then `moov` with a `mvhd` carrying the
duration) or WebM, and track recordings as Matroska (`mka`/`mkv`): an EBML header with the
DocType, then a Segment with Info (timecode scale, duration, muxing and writing app) and one
TrackEntry. No media samples: a player opens them and shows the length; tests parse them.
"""

from __future__ import annotations

import struct

__all__ = ["CONTENT_TYPES", "matroska", "media_file", "mp4"]

CONTENT_TYPES = {
    "mp4": "video/mp4",
    "webm": "video/webm",
    "mka": "audio/x-matroska",
    "mkv": "video/x-matroska",
}
APP_NAME = b"Room Moderator Sandbox"
MP4_TIMESCALE = 1000


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(duration_s: float) -> bytes:
    """ftyp (isom) + moov/mvhd (version 0, timescale 1000, the duration in ms)."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = _box(
        b"mvhd",
        struct.pack(">B3xIIII", 0, 0, 0, MP4_TIMESCALE, round(duration_s * MP4_TIMESCALE))
        + struct.pack(">IH10x", 0x00010000, 0x0100)  # rate 1.0, volume 1.0, reserved
        + matrix
        + bytes(24)  # pre_defined
        + struct.pack(">I", 2),  # next_track_ID
    )
    return ftyp + _box(b"moov", mvhd)


def _element(element_id: int, payload: bytes) -> bytes:
    """An EBML element: its ID bytes, an 8-byte size VINT, the payload."""
    id_bytes = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    return id_bytes + bytes([0x01]) + len(payload).to_bytes(7, "big") + payload


def _uint(element_id: int, value: int) -> bytes:
    return _element(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def matroska(duration_s: float, doc_type: str, kind: str) -> bytes:
    """EBML header (DocType `doc_type`) + Segment(Info with Duration in ms, one TrackEntry)."""
    header = _element(
        0x1A45DFA3,
        _uint(0x4286, 1)  # EBMLVersion
        + _uint(0x42F7, 1)  # EBMLReadVersion
        + _uint(0x42F2, 4)  # EBMLMaxIDLength
        + _uint(0x42F3, 8)  # EBMLMaxSizeLength
        + _element(0x4282, doc_type.encode())  # DocType
        + _uint(0x4287, 4 if doc_type == "matroska" else 2)  # DocTypeVersion
        + _uint(0x4285, 2),  # DocTypeReadVersion
    )
    info = _element(
        0x1549A966,
        _uint(0x2AD7B1, 1_000_000)  # TimestampScale: 1 ms
        + _element(0x4489, struct.pack(">d", duration_s * 1000.0))  # Duration (ms)
        + _element(0x4D80, APP_NAME)  # MuxingApp
        + _element(0x5741, APP_NAME),  # WritingApp
    )
    audio = kind == "audio"
    entry = _element(
        0xAE,
        _uint(0xD7, 1)  # TrackNumber
        + _uint(0x73C5, 1)  # TrackUID
        + _uint(0x83, 2 if audio else 1)  # TrackType: 2 audio, 1 video
        + _element(0x86, b"A_OPUS" if audio else b"V_VP8"),  # CodecID
    )
    tracks = _element(0x1654AE6B, entry)
    return header + _element(0x18538067, info + tracks)


def media_file(container: str, duration_s: float, kind: str) -> bytes:
    """The file for a container name (mp4, webm, mka, mkv) of `kind` (audio or video)."""
    if container == "mp4":
        return mp4(duration_s)
    if container == "webm":
        return matroska(duration_s, "webm", kind)
    return matroska(duration_s, "matroska", "audio" if container == "mka" else "video")
