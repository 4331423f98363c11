"""Helpers shared by the apps, below all of them (no models, nothing imported from an app)."""
