"""Outbound webhooks: signed HTTP callbacks to an integrator's server when something happens in the brand."""
