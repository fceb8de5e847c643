Feature: Daily standup digest
  The team reads one message in #general instead of scrolling through #standup.

  Background:
    Given the #standup channel exists

  Scenario: A normal day
    Given the #standup channel has 5 standup updates
    When the digest runs
    Then #general gets one digest
    And the digest counts 5 updates

  Scenario: A busy day fits in one digest
    Given the #standup channel has 150 standup updates
    When the digest runs
    Then #general gets one digest
    And the digest counts 150 updates

  Scenario: A quiet day posts nothing
    When the digest runs
    Then no digest is posted

  Scenario Outline: Everyone is named
    Given <name> posted "<update>" in #standup
    When the digest runs
    Then the digest mentions <name>

    Examples:
      | name  | update                  |
      | alice | shipped the login page  |
      | bob   | fixed the flaky test    |
      | carol | reviewed three PRs      |
