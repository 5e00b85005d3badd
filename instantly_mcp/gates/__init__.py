"""What the agent may see and do: filter, policy, confirmation, summaries, audit, discovery."""
