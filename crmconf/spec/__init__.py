"""The spec language: loading YAML workspaces, the typed model, and the checks beyond the schema."""
