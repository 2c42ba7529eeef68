"""Training recipes per model family; importing a module registers its kinds."""
