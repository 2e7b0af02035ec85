"""Appointments: the calendar of sessions, client change requests, reminders, calendar feeds."""
