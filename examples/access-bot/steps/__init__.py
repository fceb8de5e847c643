"""The access bot's public step definitions (the harness): they drive the bot only over HTTP and
through the twins of Slack, Jira and Okta."""
