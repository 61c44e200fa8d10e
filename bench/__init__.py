"""mlpbench harness: configs, data, training loop, search, results, reporting, CLI."""
