"""Learned decisions: features and the loading/applying of small models trained in training/."""
