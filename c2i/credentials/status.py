"""W3C Bitstring Status List v1.0: a credential's revocation published as one
bit of a signed list that any verifier reads offline. Pure: no Django import.

Each credential carries a `credentialStatus` (`entry()`):

    {type: BitstringStatusListEntry, statusPurpose: revocation,
     statusListIndex: "<bit>", statusListCredential: "<site>/statut/<n>"}

and the list at that URL is a `BitstringStatusListCredential` (`list_credential()`)
whose `credentialSubject.encodedList` is the multibase base64url (``u``, no
padding) of the GZIP-compressed bitstring, LIST_SIZE bits (16 KiB, the
minimum the specification sets for group privacy); bit 0 is the left-most bit
of the first byte. A set bit means revoked: a document replaced by a
rectification is revoked in the list too (its status says which).

A document's place is its global `status_index`: list ``index // LIST_SIZE``,
bit ``index % LIST_SIZE`` (`place()`). The terms are those of the VC 2.0
context (`https://www.w3.org/ns/credentials/v2`), served locally like the
others (badges.document_loader): no other context is needed.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from c2i.credentials.badges import VC_V2_CONTEXT, xsd_datetime

LIST_SIZE = 131_072  # bits: 16 KiB before compression
PURPOSE = "revocation"
ENTRY_TYPE = "BitstringStatusListEntry"
LIST_TYPE = "BitstringStatusList"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
PATH = "statut"


def place(status_index: int) -> tuple[int, int]:
    """(list number, bit index) of a global status index."""
    if status_index < 0:
        raise ValueError("indice de statut négatif")
    return divmod(status_index, LIST_SIZE)


def list_url(site_url: str, number: int) -> str:
    return f"{site_url.rstrip('/')}/{PATH}/{number}"


def entry(site_url: str, status_index: int) -> dict[str, Any]:
    """The `credentialStatus` of the credential whose global index is `status_index`."""
    number, bit = place(status_index)
    url = list_url(site_url, number)
    return {
        "id": f"{url}#{bit}",
        "type": ENTRY_TYPE,
        "statusPurpose": PURPOSE,
        "statusListIndex": str(bit),
        "statusListCredential": url,
    }


def encode(set_bits: Iterable[int], size: int = LIST_SIZE) -> str:
    """The `encodedList` of a list whose bits `set_bits` are set (0 = left-most)."""
    bits = bytearray(size // 8)
    for index in set_bits:
        if not 0 <= index < size:
            raise ValueError(f"indice hors de la liste : {index}")
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode(encoded: str) -> bytes:
    """The bitstring of an `encodedList`; ValueError when it is not multibase base64url GZIP."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList : encodage multibase base64url (« u… ») attendu")
    body = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return gzip.decompress(compressed)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"encodedList illisible : {error}") from None


def is_set(bits: bytes, index: int) -> bool:
    if not 0 <= index < len(bits) * 8:
        raise ValueError(f"indice hors de la liste : {index}")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def list_credential(
    site_url: str, number: int, *, issuer_id: str, valid_from: datetime, revoked_bits: Iterable[int]
) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential of list `number`."""
    url = list_url(site_url, number)
    return {
        "@context": [VC_V2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer_id,
        "validFrom": xsd_datetime(valid_from),
        "credentialSubject": {
            "id": f"{url}#liste",
            "type": LIST_TYPE,
            "statusPurpose": PURPOSE,
            "encodedList": encode(revoked_bits),
        },
    }
