"""The ``holdout`` command: store commands for writers and keyholders (``main``) and the report
commands (``report_commands``). May import every stage but the pytest session.
"""
