"""`crmconf health`: KPIs of the rollout, measured on live records with aggregate reads."""
