"""Stage 2, the scenario model: plaintext parsed in memory into ``Feature`` and ``Scenario``.

Owns ``model`` (the frozen records), ``parsing`` (which form a file is in), ``gherkin_form``
(through gherkin-official) and ``yaml_form``. May import the store.
"""
