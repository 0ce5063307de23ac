"""The project's own property and differential fuzz tests of the compiler (the sampler is ``constrained.fuzz``)."""
