"""Data: the Feedback Collection schema and loaders, and the Preference Collection builder."""
