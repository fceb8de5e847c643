"""The access bot: people ask it in Slack for access to an Okta group, a reviewer decides in Jira.

A small service, standard library only, that talks to Slack, Jira and Okta over HTTP. It is the
software under test of pytest-holdout's main example (``examples/access-bot/``): its spec is
``specs/access-bot.md``, and holdout scenarios judge it against the twins of all three services.

Run it with ``python -m access_bot`` and the environment of ``access_bot.config``.
"""
