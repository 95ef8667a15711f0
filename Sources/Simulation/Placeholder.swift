// Simulation: under construction.
