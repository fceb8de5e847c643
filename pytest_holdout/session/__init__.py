"""One ``pytest --holdout`` session, the composition root: it parses the run's settings,
checks the trust root, and wires collection, judging and reports into pytest's hooks. May import
every stage below it; only the ``plugin`` entry module and the CLI import it.
"""
