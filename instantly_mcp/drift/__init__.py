"""Where Instantly's answers differ from the spec: `doctor` reports it, `--log-drift` logs it (issue 15)."""
