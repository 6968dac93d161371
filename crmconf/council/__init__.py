"""The CRM council: teams, who must sign off a change, whether they have, and CODEOWNERS."""
