"""What a tool is: Operation records loaded from tool_specs, schema shapes, generated models."""
