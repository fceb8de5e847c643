"""Stage 4, steps against twins: the step registry (``given``, ``when``, ``then``), step
``parsers``, and the ``runner`` that plays one scenario's steps. May import the scenario model,
outcomes and the store; knows nothing of pytest collection or reports.
"""
