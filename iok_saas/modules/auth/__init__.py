"""Shared authentication pieces: password hashing and the Flask-Login user loader."""
