"""Build scripts for the data files shipped in service/data (run with python -m)."""
