"""The records a trial leaves: public ``TrialOutcome`` and secret ``TrialDetail`` (``records``),
and ``disclosure``, how much of them public output may show. May import the stages below.
"""
