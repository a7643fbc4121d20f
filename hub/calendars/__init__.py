"""Calendars: what each location will publish, and when — HQ's month and week views across the
network, a location's own calendar, same-day conflicts and each location's private iCalendar feed."""
