"""Alerts area: one alert per failed run, failed blocking check and missed freshness."""
