"""Reminders, escalations and the daily e-mail digest."""
