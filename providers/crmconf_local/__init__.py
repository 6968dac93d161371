"""The embedded local provider (entry point `local` in the `crmconf.providers` group)."""

from crmconf_local.provider import LocalProvider

__all__ = ["LocalProvider"]
