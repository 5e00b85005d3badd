"""The shared HTTP client to Instantly, its rate limiter, and per-tenant clients."""
