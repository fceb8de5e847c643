"""Stage 3, pytest items: the store's directory, file and scenario-trial nodes with opaque ids
(``items``), selection (``-k``, ``-m``, shards) and the isolation that keeps a holdout item's
output away from public output. May import judging, steps, outcomes, scenarios and the store;
never reports or the session.
"""
