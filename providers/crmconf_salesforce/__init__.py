"""The Salesforce provider for crmconf (entry point `salesforce` in the crmconf.providers group)."""

from crmconf_salesforce.provider import SalesforceProvider

__all__ = ["SalesforceProvider"]
