"""The ``holdout`` command: store commands for writers and keyholders (``main``), the trust
root's commands (``trust_commands``: manifest, check, status, signer, trust) and the check of
RECIPIENTS before anything is encrypted (``approval``), and the report and spec commands. May
import every stage but the pytest session.
"""
