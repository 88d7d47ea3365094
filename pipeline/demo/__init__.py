"""The synthetic demo package and the real reported figures it carries."""
