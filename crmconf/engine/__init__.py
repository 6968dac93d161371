"""The vendor-free engine: desired resources, live snapshots, the diff, plans and apply."""
