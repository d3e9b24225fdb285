"""The cooperative's housing stock and who holds a title to it: associations or buildings,
units, persons and titles. Imported from the cooperative's accounting system."""
