// Adversary: under construction.
