"""Code mode (`--tools code`): the agent writes one Python script instead of many tool calls."""
