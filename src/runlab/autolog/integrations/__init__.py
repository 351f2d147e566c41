"""One module (or package) per framework; each registers its Integration when imported."""
