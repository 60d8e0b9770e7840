"""Luigi tasks (thin: parameters, requires, output, run calling pipeline/ logic)."""
