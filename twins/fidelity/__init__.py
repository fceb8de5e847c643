"""How close a twin is to its service: measured against the service's published API description
(``conformance``), checked for complete objects (``completeness``), and replayed against recorded
real traffic (``replay``). ``holdout twin conformance`` and ``holdout twin replay`` run them.
"""
