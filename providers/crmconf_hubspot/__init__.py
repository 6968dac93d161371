"""The HubSpot provider (entry point `hubspot` in the `crmconf.providers` group)."""

from crmconf_hubspot.provider import HubSpotProvider

__all__ = ["HubSpotProvider"]
