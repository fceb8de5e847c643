"""Stage 5, scores and reports: satisfaction and the gate (``scoring``), the JSON report, the
terminal and GitHub summaries, history and trend, and the sealed report. Works from public
``TrialOutcome`` records and already-sealed details. May import outcomes and the store; never
collection or the session.
"""
