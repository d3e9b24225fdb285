"""The cooperative's data: associations, buildings, units, persons and their titles."""

from iok_saas.features import Feature

FEATURE = Feature(name="housing", models=".models", writes_housing=True,
                  personal_data=".export:sections")
