"""The ways a function runs: the backend contract, the process and container backends, and auto."""
