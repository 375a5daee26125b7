"""Every Qt class of Lambda Studio lives in this package."""
