"""Learned decisions: features computed from questions and evidence, and the small trained models that
read them (artifacts in assistant/resources, trained by the scripts in training/)."""
