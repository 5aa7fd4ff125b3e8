"""Widgets. Each view takes its model in the constructor, renders it, and emits signals for
what the operator asks; views never talk to the network."""
