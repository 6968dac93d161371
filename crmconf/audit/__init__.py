"""The quarterly automation audit: the spec inventory joined with what runs live (`crmconf audit`)."""

from crmconf.audit.compute import compute
from crmconf.audit.model import AuditReport, AuditRow, LiveStatus, Verdict

__all__ = ["AuditReport", "AuditRow", "LiveStatus", "Verdict", "compute"]
