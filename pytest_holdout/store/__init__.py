"""Stage 1, the store: age-encrypted scenario files, keys, and the signed MANIFEST.

Owns ``keys`` (identities and recipients), ``files`` (the ``scenarios_encrypted/`` folder of
opaque ``S-*.age`` files), ``manifest`` (the keyholder's signed list of what counts),
``signing`` (its Ed25519 signatures), ``trusted`` (the signing keys a user trusts), ``harness``
(the names of the files MANIFEST pins) and ``fsutil`` (atomic writes). Imports nothing of the
plugin but ``pytest_holdout.errors``.
"""
