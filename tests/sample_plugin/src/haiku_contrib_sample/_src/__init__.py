"""Implementation of the sample plugin's names."""
