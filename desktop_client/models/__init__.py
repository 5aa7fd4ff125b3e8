"""Qt-free state of each client screen (no PySide6 import here: tested without widgets).

Models hold data and codes (caller status, match reasons, dispositions); views turn codes into
translated text. Each model notifies listeners through a tiny ``Observable`` callback list.
"""
