"""PostGIS as Django's backend has it, with a health check that costs no round trip when the
connection plainly works (config/postgis/base.py)."""
