"""Bundle I/O: canonical bytes, seal, sign, verify and read a bundle."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from pathlib import Path

import numpy as np

from .errors import BundleError
from .kernels import KERNELS
from .structure import MAX_DEPTH, check_structure

SCHEMA_VERSION = 1
SUPPORTED_VERSIONS = (1,)
MAX_BUNDLE_BYTES = 64 * 2**20  # refused before reading or parsing


def canonical_bytes(content: dict) -> bytes:
    """Canonical JSON of ``content`` without its ``sha256`` and ``signature`` keys (sorted keys,
    no spaces): the bytes the hash and the signature cover.

    Floats are written by ``repr`` and so round-trip exactly; NaN/inf are refused.

    Examples
    --------
    >>> canonical_bytes({"b": 1, "a": [0.1], "sha256": "ignored"})
    b'{"a":[0.1],"b":1}'
    """
    body = {k: v for k, v in content.items() if k not in ("sha256", "signature")}
    try:
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise BundleError(f"bundle content is not plain JSON (numbers must be finite): {exc}") from None


def seal(content: dict) -> dict:
    """Return a copy of ``content`` with its ``sha256`` set.

    Examples
    --------
    >>> seal({"schema_version": 1})["sha256"][:12]
    'a9d5f6d002d9'
    """
    out = dict(content)
    out["sha256"] = hashlib.sha256(canonical_bytes(content)).hexdigest()
    return out


KEY_VARIABLE = "RISKMODELS_BUNDLE_KEY"  # environment variable holding the signing key


def _key_bytes(key) -> bytes | None:
    """The signing key from the argument, else from the environment; never from a bundle.

    A ``RISKMODELS_BUNDLE_KEY`` that is set but empty (a secret that failed to mount) fails
    closed: it is refused, as an empty ``key=`` is, never read as "no key".
    """
    if key is None and KEY_VARIABLE in os.environ:
        key = os.environ[KEY_VARIABLE]
        if not key.strip():
            raise BundleError(f"{KEY_VARIABLE} is set but empty (a secret that failed to mount?); "
                              "refused: set the key, or unset the variable")
    if key is None:
        return None
    key = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if not key:
        raise BundleError("the bundle signing key is empty")
    return key


def signature_of(content: dict, key) -> str:
    """HMAC-SHA256 (hex) of the canonical content under ``key`` (str or bytes).

    >>> signature_of({"schema_version": 1}, "secret")[:12]
    '92b95feabc02'
    """
    return hmac.new(_key_bytes(key), canonical_bytes(content), hashlib.sha256).hexdigest()


def sign(content: dict, key) -> dict:
    """A sealed copy of ``content`` signed with ``key``: ``"signature": {"alg": "hmac-sha256",
    "value": hex}``. Only a holder of the key can make a signature that
    :func:`check_signature` accepts.

    >>> signed = sign({"schema_version": 1}, b"secret")
    >>> signed["signature"]["alg"], check_signature(signed, b"secret")["sha256"] == signed["sha256"]
    ('hmac-sha256', True)
    """
    key = _key_bytes(key)
    if key is None:
        raise BundleError(f"no signing key: pass key=... or set {KEY_VARIABLE}")
    out = dict(content)
    out["signature"] = {"alg": "hmac-sha256", "value": signature_of(content, key)}
    return seal(out)


def check_signature(content: dict, key=None, verify_signature: bool = True) -> dict:
    """Refuse ``content`` unless it carries a valid HMAC-SHA256 under ``key`` (argument, else
    the ``RISKMODELS_BUNDLE_KEY`` environment variable).

    Without any key, an unsigned bundle is returned unchecked; a *signed* one is refused (its
    issuer wants it checked, and nothing here can) unless ``verify_signature=False`` says to
    load it unchecked (``--no-verify-signature`` on the command line).

    >>> check_signature({"schema_version": 1}, "secret")
    Traceback (most recent call last):
    ...
    riskmodels.errors.BundleError: bundle is not signed, and a signing key is set: refused
    """
    key = _key_bytes(key)
    if key is None:
        if verify_signature and isinstance(content, dict) and content.get("signature") is not None:
            raise BundleError(f"bundle is signed, and no key is set to check it (key= or {KEY_VARIABLE}): "
                              "refused; pass verify_signature=False (--no-verify-signature) to load it unchecked")
        return content
    stated = content.get("signature") if isinstance(content, dict) else None
    if stated is None:
        raise BundleError("bundle is not signed, and a signing key is set: refused")
    if not isinstance(stated, dict) or stated.get("alg") != "hmac-sha256" or not isinstance(
            stated.get("value"), str):
        raise BundleError("bundle signature must be {'alg': 'hmac-sha256', 'value': hex}")
    if not hmac.compare_digest(stated["value"], signature_of(content, key)):
        raise BundleError("bundle signature does not match under the given key: the bundle was "
                          "changed or signed with another key; refused")
    return content


def dumps_bundle(content: dict, key=None) -> bytes:
    """The bytes of a sealed bundle file: deterministic for the same content (and key).

    ``key`` (str or bytes): sign the bundle with HMAC-SHA256 (:func:`sign`).

    Examples
    --------
    >>> dumps_bundle({"schema_version": 1}) == dumps_bundle({"schema_version": 1})
    True
    """
    sealed = seal(content) if key is None else sign(content, key)
    return (json.dumps(sealed, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False)
            + "\n").encode("utf-8")


def verify(content: dict) -> dict:
    """Check the schema version, the hash and the sections of a bundle; return it.

    Raises
    ------
    BundleError
        unknown ``schema_version``, a ``sha256`` that does not match the content
        (a changed byte), a missing section, an unknown model kind, or a section
        that breaks the structure the kernels need (see :func:`check_structure`).

    Examples
    --------
    >>> bundle = seal({"schema_version": 1, "kind": "identity", "inputs": [{"name": "p", "type": "number"}],
    ...                "model": {"input": "p"}, "calibration": [],
    ...                "master_scale": {"grades": ["A"], "upper_bounds": []}})
    >>> verify(bundle)["kind"]
    'identity'
    >>> verify({**bundle, "schema_version": 99})
    Traceback (most recent call last):
    ...
    riskmodels.errors.BundleError: unknown bundle schema_version 99; this scorer reads (1,)
    """
    if not isinstance(content, dict):
        raise BundleError("a bundle must be a JSON object")
    version = content.get("schema_version")
    if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
        raise BundleError(f"unknown bundle schema_version {version!r}; this scorer reads {SUPPORTED_VERSIONS}")
    stated = content.get("sha256")
    if not isinstance(stated, str):
        raise BundleError("bundle has no sha256")
    actual = hashlib.sha256(canonical_bytes(content)).hexdigest()
    if actual != stated:
        raise BundleError(f"bundle content does not match its sha256 (stated {stated[:12]}..., "
                          f"actual {actual[:12]}...): it was modified")
    for key in ("kind", "inputs", "model", "calibration", "master_scale"):
        if key not in content:
            raise BundleError(f"bundle lacks the {key!r} section")
    if content["kind"] not in KERNELS:
        raise BundleError(f"unknown model kind {content['kind']!r}; known: {sorted(KERNELS)}")
    return check_structure(content)


def read_bundle(source, key=None, verify_signature: bool = True) -> dict:
    """The verified bundle dict from a path, JSON bytes or a bundle dict (``key`` and
    ``verify_signature``: see :func:`load_scorer`).

    Examples
    --------
    >>> bundle = seal({"schema_version": 1, "kind": "identity", "inputs": [{"name": "p", "type": "number"}],
    ...                "model": {"input": "p"}, "calibration": [],
    ...                "master_scale": {"grades": ["A"], "upper_bounds": []}})
    >>> read_bundle(dumps_bundle(bundle)) == bundle
    True
    """
    if isinstance(source, dict):
        return check_signature(verify(source), key, verify_signature)
    if isinstance(source, (bytes, bytearray)):
        raw, where = bytes(source), "the bundle bytes"
    else:
        try:
            size = Path(source).stat().st_size
            if size > MAX_BUNDLE_BYTES:
                raise BundleError(f"{source} has {size} bytes; a bundle has at most {MAX_BUNDLE_BYTES}")
            raw, where = Path(source).read_bytes(), str(source)
        except OSError as exc:
            raise BundleError(f"cannot read the bundle {source}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BundleError(f"{where} has {len(raw)} bytes; a bundle has at most {MAX_BUNDLE_BYTES}")
    if json_depth(raw) > MAX_DEPTH:
        raise BundleError(f"{where} is nested deeper than {MAX_DEPTH} levels")
    try:
        content = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BundleError(f"{where} is not a JSON bundle: {exc}") from None
    return check_signature(verify(content), key, verify_signature)


def _refuse_constant(name: str):
    raise BundleError(f"bundle holds {name}; numbers must be finite")


def json_depth(raw: bytes) -> int:
    """Deepest nesting of ``[`` and ``{`` in JSON text (outside strings), without parsing it.

    >>> json_depth(b'{"a": [[1], "[[["]}')
    3
    """
    flat = re.sub(rb'"(?:[^"\\]|\\.)*"', b'""', raw)
    codes = np.frombuffer(flat, dtype=np.uint8)
    step = np.isin(codes, (91, 123)).astype(np.int64) - np.isin(codes, (93, 125))
    return int(np.cumsum(step).max(initial=0))
