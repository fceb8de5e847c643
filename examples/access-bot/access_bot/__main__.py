"""``python -m access_bot``: serve until stopped (SIGTERM or Ctrl-C)."""

from __future__ import annotations

import logging
import os
import signal
import sys

from access_bot.config import Config, ConfigError
from access_bot.desk import Desk
from access_bot.server import make_server
from access_bot.services import Jira, Okta, Slack


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        config = Config.from_env(os.environ)
    except ConfigError as error:
        print(f"access-bot: {error}", file=sys.stderr)
        return 2
    desk = Desk(Slack(config), Jira(config), Okta(config))
    server = make_server(
        config.host, config.port, desk, config.slack_signing_secret, config.jira_webhook_secret
    )
    signal.signal(signal.SIGTERM, _stop)
    logging.getLogger("access_bot").info("listening on %s:%d", config.host, config.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)  # out of serve_forever, through the finally that closes the socket


if __name__ == "__main__":
    sys.exit(main())
