"""``holdout loop``: an agent builds the software from its specs, the holdout judges it, and the
agent learns only how well it did, round after round until the target.

``driver`` runs the rounds; ``agents`` starts the agent in the sandbox (any command, or the
built-in ``anthropic_agent`` with its ``tools``), ``evaluation`` the gated ``pytest --holdout``
run that alone gets the key, ``feedback_file`` what the agent reads of it, ``progress`` when to
stop, ``proxy`` the one way out of the sandbox to a model's API. Imports ``sandbox``, ``reports``
and ``store``; only ``cli`` imports it. See docs/loop.md.
"""
