"""NLSpecs: natural-language specs in numbered clauses (``nlspec``), their linter (``lint``) and
which clauses the approved scenarios cover (``coverage``). May import scenarios and the store.
"""
