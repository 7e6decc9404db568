# Dates in English pages as the Dutch ones write them (16 June 2025), not Django's American default
# (June 16, 2025): one way per language, and the same order in both.
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j F Y H:i"
