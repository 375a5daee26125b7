"""The project model: what a folder's Lambda functions are, as SAM would see them."""

from app.project.model import Diagnostic, EventSource, FunctionSpec, LayerSpec, Project, Severity

__all__ = ["Diagnostic", "EventSource", "FunctionSpec", "LayerSpec", "Project", "Severity"]
