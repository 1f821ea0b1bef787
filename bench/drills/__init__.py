"""Long failure drills (issue 10): `make drills`, `python -m bench.drills [--quick] [--only NAME,...]`."""
