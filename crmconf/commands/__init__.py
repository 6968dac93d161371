"""One module per verb; each exposes a function that returns the process exit code."""
