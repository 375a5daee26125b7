"""Debugging a function: the debugpy session and its options, and the DAP client."""
