"""The project's own tooling, outside the product: what `make` runs before the virtual environment exists."""
