"""The CRM handbook (`crmconf docs`): pure page models built from a Spec, rendered by crmconf.render."""

from crmconf.docs.build import build
from crmconf.docs.model import Handbook

__all__ = ["Handbook", "build"]
