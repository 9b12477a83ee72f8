"""The access log's hash chain: each entry's hash covers its fields and the hash of the entry before.

Changing, removing or reordering any entry breaks the chain from that entry on; :func:`first_broken`
names the first entry whose stored hash is not the one its content and predecessor give.

Examples
--------
>>> a = link(GENESIS, {"seq": 1, "reader": "li", "customer_id": "c1", "purpose": "review"})
>>> b = link(a, {"seq": 2, "reader": "wang", "customer_id": "c1", "purpose": "audit"})
>>> entries = [({"seq": 1, "reader": "li", "customer_id": "c1", "purpose": "review"}, a),
...            ({"seq": 2, "reader": "wang", "customer_id": "c1", "purpose": "audit"}, b)]
>>> first_broken(entries) is None
True
>>> entries[0][0]["reader"] = "zhao"
>>> first_broken(entries)
1
"""

from __future__ import annotations

import hashlib
import json

GENESIS = "0" * 64
"""The hash the first entry links to."""


def link(previous: str, fields: dict) -> str:
    """The hash of one entry: sha256 of the previous hash and the entry's fields as canonical JSON.

    Parameters
    ----------
    previous : str
        The hash of the entry before (:data:`GENESIS` for the first).
    fields : dict
        The entry's fields (JSON-serialisable; keys sorted, so their order does not matter).

    Returns
    -------
    str
        64 hex digits.

    Examples
    --------
    >>> link(GENESIS, {"seq": 1}) == link(GENESIS, {"seq": 1}), link(GENESIS, {"seq": 1}) == link(GENESIS, {"seq": 2})
    (True, False)
    """
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((previous + "\n" + text).encode("utf-8")).hexdigest()


def first_broken(entries) -> int | None:
    """The ``seq`` of the first entry whose stored hash does not match, or None when the chain holds.

    Parameters
    ----------
    entries : iterable of (fields, stored_hash)
        In log order; ``fields`` holds ``seq`` and the hashed fields.

    Returns
    -------
    int or None

    Examples
    --------
    >>> first_broken([({"seq": 1}, "bad")])
    1
    """
    previous = GENESIS
    for fields, stored in entries:
        if link(previous, fields) != stored:
            return int(fields["seq"])
        previous = stored
    return None


__all__ = ["GENESIS", "link", "first_broken"]
