"""The local API Gateway: HTTP requests in, API Gateway / function URL events to an invoke callable, responses out."""
