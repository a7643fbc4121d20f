"""Pieuvre: the franchise content-distribution hub."""
