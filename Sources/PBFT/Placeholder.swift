// PBFT: under construction.
