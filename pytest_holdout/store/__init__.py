"""Stage 1, the store: age-encrypted scenario files, keys, and the signed MANIFEST.

Owns ``keys`` (identities and recipients), ``files`` (the ``scenarios_encrypted/`` folder of
opaque ``S-*.age`` files), ``manifest`` (the keyholder's signed list of what counts) and
``fsutil`` (atomic writes). Imports nothing of the plugin but ``pytest_holdout.errors``.
"""
