"""The exit codes every ``mre`` command keeps: the contract with cron, systemd and monitors."""

EXIT_OK = 0  # ran and healthy; failed pages, if any, are listed (partial results are results)
EXIT_FAILED = 1  # nothing could be stored, the database was lost, a build failed
EXIT_BAD_INPUT = 2  # malformed URL, unknown track, bad date range or setting
EXIT_UNHEALTHY = 3  # ran, but crawl-health checks (or alerts) failed

EXIT_CODES_HELP = """exit codes:
  0  ran and healthy (failed pages, if any, are listed: partial results are results)
  1  nothing could be stored, the database was lost, LiveRC could not be reached, or a build failed
  2  bad input: malformed URL, unknown track, reversed or too-long date range, bad setting
  3  ran, but crawl-health checks failed (listed in the summary)"""
