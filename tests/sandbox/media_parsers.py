"""Structural readers for the containers the sandbox serves: ISO-BMFF boxes and EBML elements.

Written from the formats' specifications (ISO/IEC 14496-12 boxes; RFC 8794 EBML with the
Matroska/WebM element IDs), independently of the sandbox's writer, so a malformed file fails.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field


@dataclass
class Box:
    """An ISO-BMFF box: its four-character type, payload and (for containers) children."""

    kind: str
    payload: bytes
    children: list[Box] = field(default_factory=list)


CONTAINER_BOXES = {"moov", "trak", "mdia", "minf", "stbl"}


def parse_boxes(data: bytes) -> list[Box]:
    """Every box of `data`, sizes checked to tile it exactly."""
    boxes, offset = [], 0
    while offset < len(data):
        assert len(data) - offset >= 8, "truncated box header"
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        assert size >= 8 and offset + size <= len(data), f"bad box size {size} at {offset}"
        payload = data[offset + 8 : offset + size]
        name = kind.decode("ascii")
        children = parse_boxes(payload) if name in CONTAINER_BOXES else []
        boxes.append(Box(name, payload, children))
        offset += size
    assert offset == len(data)
    return boxes


def mp4_duration_s(data: bytes) -> float:
    """Check an MP4's ftyp/moov/mvhd structure and return mvhd's duration in seconds."""
    boxes = parse_boxes(data)
    assert boxes[0].kind == "ftyp", "an MP4 starts with ftyp"
    major = boxes[0].payload[:4]
    assert major in {b"isom", b"mp42", b"mp41"}
    [moov] = [b for b in boxes if b.kind == "moov"]
    [mvhd] = [b for b in moov.children if b.kind == "mvhd"]
    version = mvhd.payload[0]
    assert version == 0 and len(mvhd.payload) == 100, "mvhd v0 is 100 bytes"
    timescale, duration = struct.unpack(">II", mvhd.payload[12:20])
    assert timescale > 0
    return duration / timescale


def _vint(data: bytes, offset: int, keep_marker: bool) -> tuple[int, int]:
    first = data[offset]
    assert first, "a VINT never starts with a zero byte"
    length = 8 - first.bit_length() + 1
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in data[offset + 1 : offset + length]:
        value = (value << 8) | byte
    return value, offset + length


@dataclass
class Element:
    """An EBML element: its ID and payload."""

    element_id: int
    payload: bytes


def parse_ebml(data: bytes) -> list[Element]:
    """The top-level EBML elements of `data`, sizes checked to tile it exactly."""
    elements, offset = [], 0
    while offset < len(data):
        element_id, offset = _vint(data, offset, keep_marker=True)
        size, offset = _vint(data, offset, keep_marker=False)
        assert offset + size <= len(data), "element runs past the end"
        elements.append(Element(element_id, data[offset : offset + size]))
        offset += size
    assert offset == len(data)
    return elements


def child(element: Element, element_id: int) -> Element:
    """The one child of `element` with `element_id`."""
    [found] = [e for e in parse_ebml(element.payload) if e.element_id == element_id]
    return found


def matroska_summary(data: bytes) -> tuple[str, float, int, str]:
    """(DocType, Duration in s, TrackType, CodecID) of a Matroska/WebM file, structure checked."""
    header, segment = parse_ebml(data)
    assert header.element_id == 0x1A45DFA3, "EBML header first"
    assert segment.element_id == 0x18538067, "then the Segment"
    doc_type = child(header, 0x4282).payload.decode("ascii")
    info = child(segment, 0x1549A966)
    scale = int.from_bytes(child(info, 0x2AD7B1).payload, "big")
    (duration,) = struct.unpack(">d", child(info, 0x4489).payload)
    entry = child(child(segment, 0x1654AE6B), 0xAE)
    track_type = int.from_bytes(child(entry, 0x83).payload, "big")
    codec = child(entry, 0x86).payload.decode("ascii")
    return doc_type, duration * scale / 1e9, track_type, codec
