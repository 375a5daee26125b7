"""Event templates (one JSON file per service and type) and their index; see docs/events.md."""
