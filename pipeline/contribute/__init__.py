"""Contributor tools: import, merge, diff, changelog, the pull-request comment, template workbooks."""
