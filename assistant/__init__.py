"""质量政策助手 — quality-policy assistant: cited answers over quality-policy documents."""

__version__ = "0.1.0"
