"""Lambda Studio's Qt-free domain: projects, templates, events, settings, deploy and the CLI."""

__version__ = "0.1.0"
