"""Test events: the template catalog (catalog.py, render.py) and a project's saved events (store.py)."""
