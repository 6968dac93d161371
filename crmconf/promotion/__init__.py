"""Environments in order: what each target runs, and whether a later one may get a spec (sandbox first)."""
